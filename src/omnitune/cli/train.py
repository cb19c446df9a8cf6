"""`omnitune train`: plan, prepare the data and run a job, with a live progress bar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from omnitune.cli.jobs import friendly_errors
from omnitune.types import JobState

console = Console()
err_console = Console(stderr=True)


@friendly_errors
def train(
    request: str = typer.Argument(None, help="What to train, in English (or use --plan)."),
    plan_file: Path = typer.Option(None, "--plan", help="A reviewed plan JSON (`omnitune plan --json`)."),
    data: Path = typer.Option(..., "--data", help="Dataset file or folder (any supported format)."),
    base_model: str = typer.Option(None, "--base-model", help="Catalog id, Hub id or local path."),
    method: str = typer.Option(None, "--method", help="Training method, e.g. lora, full_finetune, dpo."),
    preset: str = typer.Option(None, "--preset", help="maximum_quality | balanced | maximum_speed."),
    max_steps: int = typer.Option(None, "--max-steps", min=1, help="Stop after this many optimiser steps."),
    budget: float = typer.Option(None, "--budget", min=0, help="Hard budget in USD (freezes at 100%)."),
    name: str = typer.Option(None, "--name", help="Model name in the registry."),
    overrides: list[str] = typer.Option(
        [], "--set", help="Edit a hyperparameter, e.g. --set learning_rate=1e-3 --set batch_size=8."
    ),
    detach: bool = typer.Option(False, "--detach", help="Start the job and return at once."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary only."),
) -> None:
    """Plan (or load a plan), prepare the data, train, and register the model."""
    from omnitune.services import jobs, training

    if not data.exists():
        raise ValueError(f"--data {data}: no such file or folder")
    plan = training.plan_for_training(
        request, plan_file=plan_file, data_path=data, base_model=base_model, method=method,
        preset=preset, budget_usd=budget,
    )
    training.set_hyperparameters(plan, _parse_overrides(overrides))
    if len(plan.models) > 1 and not as_json:
        roles = " ".join(f"--data {m.role}=PATH" for m in plan.models)
        err_console.print(
            f"[yellow]note:[/yellow] this plan has {len(plan.models)} models; `omnitune train` trains only "
            f"the first ({plan.models[0].role}). To train all of them in order: "
            f"omnitune pipelines run --plan FILE {roles}"
        )
    if not as_json:
        _show_plan(plan)
    prepared = training.submit_training(plan, data, max_steps=max_steps, budget_usd=budget, model_name=name)
    job_id = prepared.job.id
    if not as_json:
        records = ", ".join(f"{s.records} {k}" for k, s in prepared.manifest.splits.items())
        console.print(f"data: {prepared.manifest.source_format} → {prepared.manifest.family} ({records})")
    if detach:
        jobs.start(job_id)
        _print_detached(job_id, as_json)
        return
    job = jobs.run_foreground(job_id) if as_json else _run_with_progress(job_id)
    summary = summarise(job_id)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
    else:
        _print_summary(summary)
    if job.state is not JobState.SUCCEEDED:
        raise typer.Exit(1)


def _parse_overrides(items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set {item!r}: expected KEY=VALUE, e.g. --set learning_rate=1e-3")
        pairs[key.strip()] = value.strip()
    return pairs


def _show_plan(plan: Any) -> None:
    model = plan.models[0]
    console.print(f"[bold]plan {plan.id}[/bold]: {plan.intent.summary or plan.request}")
    console.print(f"  model {model.base_model} · method {model.method} · recipe {model.recipe}")
    for warning in plan.warnings:
        console.print(f"  [yellow]warning:[/yellow] {warning}")


def _run_with_progress(job_id: str) -> Any:
    """Follow the job's events with a progress bar; Ctrl-C stops watching, not the job."""
    from omnitune.services import jobs

    columns = (TextColumn("[bold]training"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[status]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("train", total=None, status="starting")

        def on_event(event: dict[str, Any]) -> None:
            kind = event.get("event")
            if kind == "metrics":
                loss = event.get("loss")
                status = f"loss {loss:.4f}" if isinstance(loss, int | float) else "loss n/a"
                if "tokens_per_s" in event:
                    status += f" · {event['tokens_per_s']:.0f} tok/s"
                elif "samples_per_s" in event:
                    status += f" · {event['samples_per_s']:.1f} samples/s"
                if "eta_s" in event:
                    status += f" · ETA {event['eta_s']:.0f}s"
                progress.update(task, completed=event.get("step", 0), total=event.get("max_steps"),
                                status=status)
            elif kind in ("state", "budget_alert", "eval", "evaluation"):
                progress.console.print(_describe_event(event))

        try:
            return jobs.run_foreground(job_id, on_event=on_event)
        except KeyboardInterrupt:
            progress.console.print(
                f"stopped watching; job {job_id} keeps running. Follow it with "
                f"`omnitune jobs logs {job_id} --follow`, pause it with `omnitune jobs pause {job_id}`"
            )
            raise typer.Exit(130) from None


def _describe_event(event: dict[str, Any]) -> str:
    fields = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                      for k, v in event.items() if k not in ("ts", "event", "job_id"))
    return f"  {event.get('event')}: {fields}"


def summarise(job_id: str) -> dict[str, Any]:
    """The job's outcome as JSON-ready data: state, model version, metrics."""
    from omnitune.services import jobs

    described = jobs.describe(job_id)
    job = described["job"]
    versions = described["model_versions"]
    version = versions[0] if versions else None
    return {
        "job_id": job["id"],
        "state": job["state"],
        "reason": job.get("reason"),
        "model_version": f"{version['name']}:v{version['version']}" if version else None,
        "artefact_path": version["artefact_path"] if version else None,
        "metrics": job.get("metrics") or {},
    }


def _print_summary(summary: dict[str, Any]) -> None:
    colour = "green" if summary["state"] == JobState.SUCCEEDED else "red"
    console.print(f"[{colour}]{summary['state']}[/{colour}] job {summary['job_id']}: {summary['reason']}")
    for key, value in sorted(summary["metrics"].items()):
        console.print(f"  {key}: {value:.4f}" if isinstance(value, float) else f"  {key}: {value}")
    if summary["model_version"]:
        console.print(f"registered [bold]{summary['model_version']}[/bold] at {summary['artefact_path']}")


def _print_detached(job_id: str, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"job_id": job_id, "state": "started"}))
        return
    console.print(f"job {job_id} started in the background; it does not depend on this terminal.")
    console.print(f"  follow: omnitune jobs logs {job_id} --follow · pause: omnitune jobs pause {job_id}")


def register(app: typer.Typer) -> None:
    """Add `train` to the root app."""
    app.command("train")(train)
