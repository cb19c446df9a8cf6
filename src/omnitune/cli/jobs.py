"""`omnitune jobs …` (watch and control jobs) and `omnitune worker` (the supervisor loop)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from omnitune.types import JobState

console = Console()
err_console = Console(stderr=True)
_F = TypeVar("_F", bound=Callable[..., Any])

jobs_app = typer.Typer(
    help="List, inspect, follow, pause, resume and cancel training jobs.", no_args_is_help=True
)


def friendly_errors(func: _F) -> _F:
    """Turn expected errors (unknown id, wrong state, bad input) into one red line and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (KeyError, ValueError, FileNotFoundError) as exc:
            err_console.print(f"[red]error:[/red] {exc.args[0] if exc.args else exc}", soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@jobs_app.command("list")
@friendly_errors
def list_jobs(
    state: JobState | None = typer.Option(None, help="Only jobs in this state."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List jobs, newest first."""
    from omnitune.services import jobs

    records = jobs.list_jobs(state)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in records], indent=2))
        return
    table = Table()
    for header in ("ID", "STATE", "MODEL", "STEP", "LOSS", "COST / BUDGET", "UPDATED"):
        table.add_column(header, no_wrap=header == "ID")
    for r in records:
        steps = f"{r.step}/{r.max_steps}" if r.max_steps else str(r.step)
        budget = f"${r.cost_usd:.4f} / " + (f"${r.budget_usd:g}" if r.budget_usd is not None else "-")
        loss = f"{r.loss:.4f}" if r.loss is not None else "-"
        table.add_row(
            r.id, _state(r.state), f"{r.base_model} ({r.method})", steps, loss, budget, _when(r.updated_at)
        )
    console.print(table if records else "no jobs yet; start one with `omnitune train`")


@jobs_app.command("show")
@friendly_errors
def show(job_id: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show one job: state and reason, progress, cost, checkpoints, metrics, model versions."""
    from omnitune.services import jobs

    detail = jobs.describe(job_id)
    if as_json:
        typer.echo(json.dumps(detail, indent=2, default=str))
        return
    job = detail["job"]
    console.print(f"[bold]job {job['id']}[/bold]  {_state(JobState(job['state']))}  {job['reason']}")
    if detail["worker_lost"]:
        lost = "its worker is gone; `omnitune worker` re-queues it from its last checkpoint"
        console.print(f"  [yellow]{lost}[/yellow]")
    for key in (
        "base_model",
        "method",
        "recipe",
        "device",
        "plan_id",
        "job_dir",
        "pid",
        "step",
        "max_steps",
        "loss",
        "cost_usd",
        "budget_usd",
        "hourly_rate_usd",
        "created_at",
        "started_at",
        "finished_at",
        "error",
    ):
        if job.get(key) not in (None, ""):
            console.print(f"  {key:16} {job[key]}", soft_wrap=True)
    for name, value in job["metrics"].items():
        console.print(f"  metric {name:9} {value}")
    for ckpt in detail["checkpoints"]:
        console.print(f"  checkpoint       {ckpt['path']}", soft_wrap=True)
    for version in detail["model_versions"]:
        console.print(f"  model version    {version['name']}:v{version['version']} ({version['id']})")


@jobs_app.command("logs")
@friendly_errors
def logs(
    job_id: str,
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing until the job settles."),
    worker_log: bool = typer.Option(False, "--worker-log", help="Print the worker's stdout/stderr."),
    as_json: bool = typer.Option(False, "--json", help="Print raw JSON lines."),
) -> None:
    """Print a job's events (state changes, metrics, alerts) or its worker log."""
    from omnitune.services import jobs

    if worker_log:
        path = Path(jobs.get(job_id).job_dir) / "worker.log"
        typer.echo(path.read_text(encoding="utf-8", errors="replace") if path.exists() else "")
        return
    try:
        for event in jobs.tail_events(job_id, follow=follow):
            typer.echo(json.dumps(event) if as_json else format_event(event))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@jobs_app.command("pause")
@friendly_errors
def pause(job_id: str) -> None:
    """Ask a job to checkpoint and stop; `omnitune jobs resume ID` continues it."""
    from omnitune.services import jobs

    job = jobs.pause(job_id)
    console.print(f"job {job.id}: {_state(job.state)} {job.reason}")


@jobs_app.command("resume")
@friendly_errors
def resume(
    job_id: str,
    budget: float | None = typer.Option(None, "--budget", help="New budget in USD (for budget_frozen)."),
    queue_only: bool = typer.Option(
        False, "--queue-only", help="Only re-queue; leave starting it to a supervisor (`omnitune worker`)."
    ),
) -> None:
    """Continue a paused or budget-frozen job from its last checkpoint."""
    from omnitune.services import jobs

    job = jobs.resume(job_id, budget_usd=budget, start_now=not queue_only)
    queued = job.state is JobState.QUEUED
    hint = " (waits for a free slot; `omnitune worker` runs the queue)" if queued else ""
    console.print(f"job {job.id}: {_state(job.state)}{hint}; follow with `omnitune jobs logs {job.id} -f`")


@jobs_app.command("cancel")
@friendly_errors
def cancel(
    job_id: str,
    grace: float = typer.Option(10.0, help="Seconds between SIGTERM and SIGKILL."),
) -> None:
    """Cancel a job (SIGTERM to its worker's process group, SIGKILL after the grace period)."""
    from omnitune.services import jobs

    job = jobs.cancel(job_id, grace_s=grace)
    console.print(f"job {job.id}: {_state(job.state)} {job.reason}")


@jobs_app.command("reindex")
@friendly_errors
def reindex() -> None:
    """Rebuild the database index from the job directories and registered models on disk."""
    from omnitune.runtime.index import rebuild_index

    report = rebuild_index()
    console.print(f"indexed {len(report.jobs)} job(s) and {len(report.model_versions)} model version(s)")
    for problem in report.skipped:
        err_console.print(f"[yellow]skipped[/yellow] {problem}", soft_wrap=True)


def worker(
    once: bool = typer.Option(False, "--once", help="One pass (adopt, recover, start), then exit."),
    poll: float = typer.Option(1.0, help="Seconds between passes."),
) -> None:
    """Run the supervisor: start queued jobs, adopt running ones, recover crashed ones."""
    from omnitune.runtime.supervisor import Supervisor
    from omnitune.services.jobs import hand_credentials_to_workers
    from omnitune.settings import get_settings

    hand_credentials_to_workers()
    supervisor = Supervisor()
    if once:
        report = supervisor.tick()
        console.print(f"adopted {report.adopted}, recovered {report.recovered}, started {report.started}")
        return
    console.print(f"supervising jobs in {get_settings().home} (Ctrl-C stops the supervisor, not the jobs)")
    supervisor.run(poll_s=poll)


def format_event(event: dict[str, Any]) -> str:
    """One event as a readable line: time, event name, fields."""
    ts = str(event.get("ts", ""))[11:19]
    fields = " ".join(f"{k}={_short(v)}" for k, v in event.items() if k not in ("ts", "event"))
    return f"{ts} {event.get('event', '?'):12} {fields}"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def _state(state: JobState) -> str:
    colour = {
        JobState.SUCCEEDED: "green",
        JobState.FAILED: "red",
        JobState.RUNNING: "cyan",
        JobState.BUDGET_FROZEN: "yellow",
        JobState.PAUSED: "yellow",
    }.get(state, "white")
    return f"[{colour}]{state}[/{colour}]"


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def register(app: typer.Typer) -> None:
    """Add `jobs` and `worker` to the root app."""
    app.add_typer(jobs_app, name="jobs")
    app.command("worker")(worker)
