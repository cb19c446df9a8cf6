"""`omnitune models tag | alias | search | verify | history | rm | export | serve | push`: registry
commands, added to the `models` group with `compare` and `rate` (cli/model_compare.py); the runtime's
list/show stay in cli/models.py."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from omnitune.cli.jobs import friendly_errors
from omnitune.cli.model_compare import compare_command, rate_command

console = Console()


@friendly_errors
def tag_command(
    ref: str = typer.Argument(..., help="A version: id, NAME:vN, NAME@alias or NAME."),
    tags: list[str] = typer.Argument(..., help="KEY or KEY=VALUE, one or more."),
    remove: bool = typer.Option(False, "--remove", help="Remove these tag keys instead."),
) -> None:
    """Set (or remove) tags on a model version."""
    from omnitune.registry import versions

    for item in tags:
        key, _, value = item.partition("=")
        versions.untag(ref, key) if remove else versions.tag(ref, key, value)
    console.print(f"{ref}: {'removed' if remove else 'tagged'} {', '.join(tags)}")


@friendly_errors
def alias_command(
    ref: str = typer.Argument(..., help="The version to point at (NAME:vN), or NAME with --rollback."),
    alias: str = typer.Argument(..., help="e.g. production, staging."),
    rollback: bool = typer.Option(False, "--rollback", help="Point the alias back at its previous version."),
) -> None:
    """Point NAME@ALIAS at a version, or roll it back to the previous one."""
    from omnitune.registry import versions

    if rollback:
        restored = versions.rollback_alias(ref.split(":")[0], alias)
        console.print(f"{restored.name}@{alias} -> {restored.ref} (rolled back)")
        return
    record = versions.set_alias(ref, alias)
    console.print(f"{record.name}@{alias} -> {ref}")


@friendly_errors
def search_command(
    name: str | None = typer.Option(None, help="Model name."),
    tag: list[str] = typer.Option([], help="KEY or KEY=VALUE; repeatable."),
    method: str | None = typer.Option(None, help="Training method, e.g. lora."),
    base_model: str | None = typer.Option(None, help="Base model id."),
    text: str | None = typer.Option(None, help="Substring of name, base, method or recipe."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (with tags, aliases, evaluations)."),
) -> None:
    """Search registered versions by name, tags, method, base model or text."""
    from omnitune.registry import versions

    wanted: dict[str, str | None] = {}
    for item in tag:
        key, sep, value = item.partition("=")
        wanted[key] = value if sep else None
    found = versions.search(name, wanted, method, base_model, text)
    if as_json:
        typer.echo(json.dumps([versions.details(v.id) for v in found], indent=2, default=str))
        return
    table = Table()
    for header in ("ID", "MODEL", "BASE", "METHOD", "SHA256"):
        table.add_column(header)
    for v in found:
        table.add_row(v.id, v.ref, v.base_model, v.method, v.sha256[:12])
    console.print(table if found else "no matching versions")


@friendly_errors
def verify_command(ref: str = typer.Argument(..., help="A version.")) -> None:
    """Check a version's files against its recorded sha256."""
    from omnitune.registry import versions

    version = versions.verify(ref)
    console.print(f"{version.ref}: sha256 {version.sha256} OK")


@friendly_errors
def history_command(
    ref: str | None = typer.Argument(None, help="Only entries whose reference starts with this."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The registry's audit log: every alias, tag, evaluation, export and removal."""
    from omnitune.registry import versions

    entries = versions.history(ref)
    if as_json:
        typer.echo(json.dumps([e.model_dump(mode="json") for e in entries], indent=2))
        return
    for e in entries:
        console.print(f"{e.ts:%Y-%m-%d %H:%M:%S} {e.actor:10} {e.action:9} {e.ref} {json.dumps(e.details)}")


@friendly_errors
def rm_command(
    ref: str = typer.Argument(..., help="The version to delete (files and records)."),
    force: bool = typer.Option(False, "--force", help="Delete even when an alias points at it."),
) -> None:
    """Delete a model version."""
    from omnitune.registry import versions

    removed = versions.remove(ref, force)
    console.print(f"removed {removed.ref} ({removed.id})")


@friendly_errors
def export_command(
    ref: str = typer.Argument(..., help="A version (or a model directory)."),
    format: str = typer.Option(..., "--format", "-f", help="adapter, merged, gguf or ollama."),
    out: Path = typer.Option(..., help="An empty or new directory."),
    dtype: str = typer.Option("f32", help="GGUF tensor type: f32 or f16."),
    tolerance: float | None = typer.Option(None, help="Max logit difference accepted (default per format)."),
    as_json: bool = typer.Option(False, "--json", help="Print the export record as JSON."),
) -> None:
    """Export a model version; the exported model must answer like the trained one or the export fails."""
    from omnitune.registry.export.equivalence import ExportMismatchError
    from omnitune.registry.export.exporter import export_model

    if dtype not in ("f32", "f16"):
        raise ValueError(f"--dtype {dtype!r}: use f32 or f16")
    try:
        result = export_model(ref, format, out, dtype=dtype, tolerance=tolerance)
    except ExportMismatchError as exc:
        raise ValueError(str(exc)) from None
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    eq = result.equivalence
    console.print(
        f"exported {result.source} as {format} to {out} ({len(result.files)} files, sha256 "
        f"{result.sha256[:12]}); equivalence: max logit diff {eq.max_logit_diff:.2e} <= "
        f"{eq.tolerance:g}, next-token agreement {eq.top1_agreement:.0%}"
    )


@friendly_errors
def serve_command(
    ref: str = typer.Argument(..., help="A version (NAME@production, NAME:vN, id) or a model directory."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8001, min=1, max=65535, help="TCP port."),
    engine: str = typer.Option(
        "auto", help="Language models: auto (vLLM if installed and CUDA is present), transformers or vllm."
    ),
) -> None:
    """Serve a model over an OpenAI-compatible API: chat/completions/embeddings for language models,
    /v1/images/generations for text-to-image versions, /v1/audio/speech (and /v1/audio/generations for
    music) for speech and music versions."""
    from omnitune.serving.runner import serve

    typer.echo(f"serving {ref} on http://{host}:{port}/v1 (OpenAI-compatible)", err=True)
    serve(ref, host, port, engine)


@friendly_errors
def push_command(
    ref: str = typer.Argument(..., help="A version (or a model directory)."),
    repo_id: str = typer.Argument(..., help="Hub repository, e.g. acme/support-bot."),
    format: str = typer.Option("merged", "--format", "-f", help="adapter, merged, gguf or ollama."),
    endpoint: str | None = typer.Option(None, help="Hub URL (default: huggingface.co or HF_ENDPOINT)."),
    token: str | None = typer.Option(None, help="Hub token (default: your vault's hf_token, then HF_TOKEN)."),
    user: str | None = typer.Option(None, help="Studio user whose vault holds the hf_token."),
    public: bool = typer.Option(False, "--public", help="Create the repository public (default private)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Export (with the equivalence check) and push a model version to the Hugging Face Hub."""
    from omnitune.registry.hub import push_to_hub

    pushed = push_to_hub(
        ref, repo_id, fmt=format, endpoint=endpoint, token=token, user_id=user, private=not public
    )
    if as_json:
        typer.echo(pushed.model_dump_json(indent=2))
        return
    console.print(f"pushed {ref} ({format}, {len(pushed.files)} files) to {pushed.repo_url}")
    console.print(f"commit: {pushed.commit_url}")


def add_registry_commands(app: typer.Typer) -> None:
    """Add the registry commands to the `models` group."""
    for name, command in (
        ("tag", tag_command),
        ("alias", alias_command),
        ("search", search_command),
        ("verify", verify_command),
        ("history", history_command),
        ("rm", rm_command),
        ("compare", compare_command),
        ("rate", rate_command),
        ("export", export_command),
        ("serve", serve_command),
        ("push", push_command),
    ):
        app.command(name)(command)
