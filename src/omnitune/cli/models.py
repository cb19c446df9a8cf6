"""`omnitune models list | show ID`: the registered model versions."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from omnitune.cli.jobs import friendly_errors

console = Console()
models_app = typer.Typer(
    help="Registered model versions: artefacts, checksums, lineage, metrics.", no_args_is_help=True
)


@models_app.command("list")
@friendly_errors
def list_models(
    name: str | None = typer.Option(None, help="Only versions of this model name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List registered model versions, newest first."""
    from omnitune.services import models

    versions = models.list_versions(name)
    if as_json:
        typer.echo(json.dumps([v.model_dump(mode="json") for v in versions], indent=2))
        return
    table = Table()
    for header in ("ID", "MODEL", "BASE", "METHOD", "METRICS", "CREATED"):
        table.add_column(header, no_wrap=header == "ID")
    for v in versions:
        metrics = ", ".join(
            f"{k}={val:.4g}" if isinstance(val, float) else f"{k}={val}"
            for k, val in list(v.metrics.items())[:3]
        )
        table.add_row(
            v.id, v.ref, v.base_model, v.method, metrics, v.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        )
    console.print(table if versions else "no models registered yet; train one with `omnitune train`")


@models_app.command("show")
@friendly_errors
def show(
    ref: str = typer.Argument(..., help="A version id, NAME:vN, or NAME (newest version)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one model version: artefact path, sha256, lineage and metrics."""
    from omnitune.services import models
    from omnitune.store import registry

    version = models.get_version(ref)
    tags = registry.tags_of(version.id)
    if as_json:
        typer.echo(json.dumps({**version.model_dump(mode="json"), "tags": tags}, indent=2))
        return
    console.print(f"[bold]{version.ref}[/bold]  ({version.id})")
    for key in (
        "artefact_path",
        "sha256",
        "base_model",
        "method",
        "recipe",
        "plan_id",
        "job_id",
        "dataset_hash",
        "created_at",
    ):
        console.print(f"  {key:14} {getattr(version, key)}", soft_wrap=True)
    for key, value in version.metrics.items():
        console.print(f"  metric {key:7} {value}")
    if "mlflow.model_uri" in tags:
        console.print(f"  {'mirrored':14} {tags['mlflow.model_uri']} (run {tags.get('mlflow.run_id')}) "
                      f"in MLflow at {tags.get('mlflow.tracking_uri')}", soft_wrap=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add `models` to the root app."""
    from omnitune.cli.model_registry import add_registry_commands

    add_registry_commands(models_app)
    app.add_typer(models_app, name="models")
