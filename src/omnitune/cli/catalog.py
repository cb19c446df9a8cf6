"""`omnitune catalog list [--modality M]` and `omnitune catalog show ID`: the model catalog."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

console = Console()
catalog_app = typer.Typer(help="Base models omnitune knows how to train.", no_args_is_help=True)


@catalog_app.command("list")
def list_models(
    modality: str | None = typer.Option(None, help="llm | image | video | audio | multimodal."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List catalog models, optionally of one modality."""
    import json

    from omnitune.catalog import load_models

    models = [m for m in load_models().values() if modality is None or m.modality.value == modality]
    if as_json:
        typer.echo(json.dumps([m.model_dump(mode="json") for m in models], indent=2))
        return
    table = Table()
    for header in ("ID", "MODALITY", "PARAMS (B)", "RECIPE", "MIN GB", "LICENSE", "TRAINABLE"):
        table.add_column(header, no_wrap=header == "ID")
    for m in models:
        table.add_row(
            m.id,
            m.modality.value,
            f"{m.params_b:g}",
            m.recipe.value,
            f"{m.min_vram_gb:g}",
            m.license,
            "yes" if m.trainable else f"no -> {m.nearest_trainable or 'use pretrained'}",
        )
    console.print(table)


@catalog_app.command("show")
def show(model_id: str = typer.Argument(..., help="Catalog id or Hub id.")) -> None:
    """Show one catalog entry in full."""
    from omnitune.catalog import get_model

    try:
        model = get_model(model_id)
    except KeyError as exc:
        console.print(f"[red]error:[/red] {exc.args[0]}")
        raise typer.Exit(2) from exc
    typer.echo(model.model_dump_json(indent=2, exclude_none=True))


@catalog_app.command("discover")
def discover(
    task: str = typer.Argument(..., help="A task key, e.g. text_to_image, speech_recognition."),
    limit: int = typer.Option(20, help="How many Hub models to fetch."),
    memory_gb: float | None = typer.Option(None, "--memory-gb", help="GPU memory to score VRAM fit against."),
) -> None:
    """Search the Hugging Face Hub for models of a task (needs OMNITUNE_OFFLINE=0 and network)."""
    from omnitune.catalog import hub
    from omnitune.types import Task

    if not hub.hub_enabled():
        console.print(
            "Hub discovery is off: set OMNITUNE_OFFLINE=0 (and leave HF_HUB_OFFLINE unset) to enable it."
        )
        raise typer.Exit(1)
    table = Table()
    for header in ("HUB ID", "SCORE", "DOWNLOADS", "LICENSE", "ARCHITECTURE", "PARAMS (B)", "LoRA GB"):
        table.add_column(header)
    for c in hub.discover(Task(task), limit=limit, memory_gb=memory_gb):
        table.add_row(
            c.hub_id,
            f"{c.score:.2f}",
            str(c.downloads),
            c.license or "?",
            c.architecture or "?",
            f"{c.params_b:.2f}" if c.params_b else "?",
            f"{c.lora_vram_gb:g}" if c.lora_vram_gb else "?",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add `catalog` to the root app."""
    app.add_typer(catalog_app, name="catalog")
