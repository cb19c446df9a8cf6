"""`omnitune pipelines`: run a multi-model plan (one job per stage), list, show, resume, generate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from omnitune.cli.jobs import friendly_errors

console = Console()
app = typer.Typer(help="Multi-model pipelines: stages in dependency order, one training job each.")


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(
                f"{flag} {item!r}: expected ROLE=VALUE (a stage name or role), e.g. {flag} vocals=PATH"
            )
        pairs[key.strip()] = value.strip()
    return pairs


def _print(record: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(record.model_dump_json(indent=2))
        return
    console.print(f"[bold]pipeline {record.id}[/bold] ({record.type}) {record.state}: {record.reason}")
    for stage in record.stages:
        after = f" after {', '.join(stage.depends_on)}" if stage.depends_on else ""
        job = f" job {stage.job_id}" if stage.job_id else ""
        model = f" → {stage.model_version}" if stage.model_version else ""
        console.print(f"  {stage.name} [{stage.role}] {stage.base_model}{after}: {stage.state}{job}{model}")
        if stage.reason:
            console.print(f"      {stage.reason}")


def _plan(request: str | None, plan_file: Path | None) -> Any:
    """The plan to run; each stage's model is checked when its job is submitted (after overrides)."""
    from omnitune.plan.schema import TrainingPlan

    if plan_file:
        return TrainingPlan.from_file(str(plan_file))
    if not request:
        raise ValueError("give a request in English or --plan FILE")
    from omnitune.plan import build_plan

    return build_plan(request)


@app.command("run")
@friendly_errors
def run(
    request: str = typer.Argument(None, help="What to build, in English (or use --plan)."),
    plan_file: Path = typer.Option(None, "--plan", help="A reviewed plan JSON (`omnitune plan --json`)."),
    data: list[str] = typer.Option([], "--data", help="STAGE_OR_ROLE=PATH, once per trainable stage."),
    base_model: list[str] = typer.Option(
        [], "--base-model", help="ROLE=MODEL_ID, e.g. vocals=omnitune/tiny-speecht5."
    ),
    max_steps: int = typer.Option(None, "--max-steps", min=1, help="Optimiser steps per stage."),
    budget: float = typer.Option(None, "--budget", min=0, help="Hard budget in USD per stage job."),
    retries: int = typer.Option(1, "--retries", min=0, help="Retries of a failed stage from its checkpoint."),
    detach: bool = typer.Option(False, "--detach", help="Return the pipeline id at once."),
    as_json: bool = typer.Option(False, "--json", help="Print the pipeline record as JSON."),
) -> None:
    """Train every model of a multi-model plan, each stage after the stages it depends on."""
    from omnitune.pipelines import run_pipeline

    data_pairs, models = _pairs(data, "--data"), _pairs(base_model, "--base-model")
    record = run_pipeline(
        _plan(request, plan_file),
        dict(data_pairs),
        max_steps=max_steps,
        budget_usd=budget,
        base_models=models,
        max_retries=retries,
        detach=detach,
    )
    _print(record, as_json)
    if detach and not as_json:
        console.print(f"running in the background; follow it with `omnitune pipelines show {record.id}`")
    if not detach and record.state != "succeeded":
        raise typer.Exit(1)


@app.command("list")
@friendly_errors
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every pipeline, newest first."""
    from omnitune.pipelines import record as records

    found = records.list_all()
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in found], indent=2))
        return
    for r in found:
        states = ", ".join(f"{s.name}={s.state}" for s in r.stages)
        console.print(f"{r.id}  {r.state:<10} {r.request[:40]!r}  {states}")


@app.command("show")
@friendly_errors
def show(pipeline_id: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """One pipeline's stages, jobs and model versions."""
    from omnitune.pipelines import record as records

    _print(records.load(pipeline_id), as_json)


@app.command("resume")
@friendly_errors
def resume(
    pipeline_id: str,
    detach: bool = typer.Option(False, "--detach", help="Return at once."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Run a pipeline again: finished stages are skipped, failed ones resume from their checkpoints."""
    from omnitune.pipelines import resume_pipeline

    record = resume_pipeline(pipeline_id, detach=detach)
    _print(record, as_json)
    if not detach and record.state != "succeeded":
        raise typer.Exit(1)


@app.command("generate")
@friendly_errors
def generate(
    pipeline_id: str,
    prompt: str = typer.Option(..., "--prompt", help="Description of the backing track."),
    lyrics: str = typer.Option(..., "--lyrics", help="The words to voice."),
    out: Path = typer.Option(Path("song.wav"), "--out", help="Output WAV."),
    seconds: float = typer.Option(
        None, "--seconds", min=0.1, help="Backing-track length (default: vocals + 1 s)."
    ),
    speaker: str = typer.Option(None, "--speaker", help="A speaker saved with the voice model."),
) -> None:
    """Make a song with a finished music + vocals pipeline: backing track and voiced lyrics, mixed."""
    from omnitune.pipelines import record as records
    from omnitune.pipelines.wiring import song_with_vocals

    record = records.load(pipeline_id)
    music = next((s for s in record.stages if s.role == "music_generator"), None)
    voice = next((s for s in record.stages if s.role in ("vocal_synthesizer", "voice_model")), None)
    if not (music and voice and music.artefact_path and voice.artefact_path):
        raise ValueError(f"pipeline {record.id} has no finished music_generator and vocal_synthesizer stages")
    song = song_with_vocals(
        music.artefact_path, voice.artefact_path, prompt, lyrics, out, seconds=seconds, speaker=speaker
    )
    for note in song.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    console.print(f"wrote {song.path} ({song.samples / song.sampling_rate:.2f}s at {song.sampling_rate} Hz)")


def register(root: typer.Typer) -> None:
    """Add `pipelines` to the root app."""
    root.add_typer(app, name="pipelines")
