"""`omnitune data inspect|prepare|synthesize`: what a dataset holds and what is wrong; prepared and
synthetic data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from omnitune.data.errors import DataError

data_app = typer.Typer(help="Inspect, validate and prepare datasets.", no_args_is_help=True)
console = Console()


def _column_map(pairs: list[str] | None) -> dict[str, str] | None:
    mapping = {}
    for pair in pairs or []:
        column, sep, field = pair.partition("=")
        if not sep or not column or not field:
            raise typer.BadParameter(
                f"{pair!r}: expected COLUMN=FIELD, e.g. question=prompt", param_hint="--map"
            )
        mapping[column.strip()] = field.strip()
    return mapping or None


def _fixes(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for value in values or [] for v in value.split(",") if v.strip())


@data_app.command("inspect")
def inspect_command(
    path: str = typer.Argument(..., help="File, folder or Hugging Face dataset id."),
    modality: str | None = typer.Option(None, help="llm, image, audio or video (default: detected)."),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    mapping: list[str] | None = typer.Option(
        None, "--map", help="COLUMN=FIELD, e.g. question=prompt (repeat)."
    ),
    tokenizer: str | None = typer.Option(None, help="Tokenizer name or folder for token counts."),
    max_len: int | None = typer.Option(
        None, "--max-len", help="Context length: longer examples are flagged."
    ),
    family: str | None = typer.Option(None, help="Check the data as this family, e.g. preference for DPO."),
) -> None:
    """Detect the modality and format, validate every record, report statistics and problems."""
    from omnitune import data
    from omnitune.data.render import render_report

    report = data.inspect(
        path, modality, column_map=_column_map(mapping), tokenizer=tokenizer, max_len=max_len, family=family
    )
    if as_json:
        typer.echo(json.dumps({**report.model_dump(mode="json"), "usable": report.usable}, indent=2))
    else:
        render_report(console, report)
    raise typer.Exit(0 if report.usable else 1)


@data_app.command("prepare")
def prepare_command(
    path: str = typer.Argument(..., help="File, folder or Hugging Face dataset id."),
    out: Path = typer.Option(..., "--out", help="Folder to write the prepared dataset into."),
    plan: Path | None = typer.Option(
        None, "--plan", help="plan.json: modality, family and max_len come from it."
    ),
    family: str | None = typer.Option(
        None, help="chat, preference, unpaired_preference, text, classification."
    ),
    modality: str | None = typer.Option(None, help="llm, image, audio or video (default: detected)."),
    fix: list[str] | None = typer.Option(None, "--fix", help="drop, dedupe, truncate (comma-separated)."),
    mapping: list[str] | None = typer.Option(None, "--map", help="COLUMN=FIELD (repeat)."),
    tokenizer: str | None = typer.Option(
        None, help="Tokenizer name or folder for token counts and truncation."
    ),
    max_len: int | None = typer.Option(None, "--max-len", help="Context length in tokens."),
    validation_fraction: float = typer.Option(0.1, help="Share of records held out for validation."),
    seed: int = typer.Option(42, help="Seed of the deterministic split."),
    overwrite: bool = typer.Option(False, help="Replace an existing prepared dataset at --out."),
    min_tokens: int | None = typer.Option(None, "--min-tokens", help="Drop text examples shorter than this."),
    quality_filter: bool = typer.Option(
        False, "--quality-filter", help="Drop text that is tiny, mostly symbols or mostly repeated lines."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
) -> None:
    """Write the normalised dataset a recipe reads, plus a manifest with a content hash."""
    from omnitune import data
    from omnitune.data.render import render_failure, render_manifest

    options: dict[str, Any] = {}
    try:
        if plan is not None:
            options.update(_plan_options(plan))
        given = {"family": family, "modality": modality, "max_len": max_len, "min_tokens": min_tokens}
        if quality_filter:
            given["quality_filter"] = True
        options.update({k: v for k, v in given.items() if v is not None})
        manifest = data.prepare(
            path, out, column_map=_column_map(mapping), fix=_fixes(fix), tokenizer=tokenizer,
            validation_fraction=validation_fraction, seed=seed, overwrite=overwrite, **options,
        )  # fmt: skip
    except (DataError, ValueError, OSError) as err:
        render_failure(console, err)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(manifest.model_dump_json(indent=2))
    else:
        render_manifest(console, manifest, out)


@data_app.command("synthesize")
def synthesize_command(
    generator: str = typer.Option(..., help="openai:MODEL@BASE_URL, anthropic:MODEL[@URL] or local:PATH."),
    out: Path = typer.Option(..., "--out", help="JSONL file to write the records to."),
    description: str = typer.Option("", help="What the records should teach."),
    examples: Path | None = typer.Option(None, help="JSONL of seed records in the same layout."),
    count: int = typer.Option(20, min=1, max=5000, help="Valid, distinct records wanted."),
    fmt: str = typer.Option("chat", "--format", help="chat (messages) or qa (prompt/completion)."),
) -> None:
    """Have a generator model write training records; invalid and duplicate ones are dropped and counted."""
    from omnitune import data
    from omnitune.data.render import render_failure, render_report
    from omnitune.services import synthetic_data as synthetic

    try:
        seeds = [json.loads(x) for x in examples.read_text().splitlines() if x.strip()] if examples else []
        if not description.strip() and not seeds:
            raise ValueError("give --description or --examples (a JSONL of seed records)")
        client = synthetic.generator_from_spec(generator)
        outcome = synthetic.generate_records(
            client, description, count, synthetic.SyntheticFormat(fmt), seeds
        )
    except (DataError, ValueError, OSError) as err:
        render_failure(console, err)
        raise typer.Exit(1) from None
    console.print(
        f"{outcome.generated} generated in {outcome.calls} call(s): {outcome.invalid} invalid, "
        f"{outcome.duplicates} duplicates, {len(outcome.records)} kept"
    )
    for problem in outcome.problems[:5]:
        console.print(f"  [yellow]dropped[/yellow] {problem}", soft_wrap=True)
    if not outcome.records:
        console.print(
            "[red]no valid record[/red]: try a stronger generator, seed --examples or a clearer description"
        )
        raise typer.Exit(1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(synthetic.to_jsonl(outcome.records), encoding="utf-8")
    console.print(f"wrote {out}")
    render_report(console, data.inspect(out))


def _plan_options(path: Path) -> dict[str, Any]:
    from omnitune.data.plan_options import options_from_plan
    from omnitune.plan.schema import TrainingPlan

    try:
        return options_from_plan(TrainingPlan.from_file(str(path)))
    except OSError as err:
        raise DataError(f"{path}: cannot read plan ({err.strerror})") from err


def register(app: typer.Typer) -> None:
    """Add the `data` command group to the root app."""
    app.add_typer(data_app, name="data")
