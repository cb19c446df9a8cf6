"""The store indexes job directories; `rebuild_index` recreates that index from the directories alone."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from omnitune.recipes.checkpointing import list_checkpoints
from omnitune.runtime.events import INDEXED_EVENTS, iter_events
from omnitune.runtime.jobdir import JobDir
from omnitune.settings import get_settings
from omnitune.store import job_events, jobs, model_versions, plans
from omnitune.store.records import CheckpointRecord
from omnitune.types import JobState

MODEL_VERSION_FILE = "model_version.json"


@dataclass
class RebuildReport:
    """What `rebuild_index` found."""

    jobs: list[str] = field(default_factory=list)
    model_versions: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def sync_checkpoints(job_id: str, checkpoints_dir: Path) -> list[CheckpointRecord]:
    """Index exactly the complete checkpoints present on disk."""
    found = [(step, str(path), _mtime(path)) for step, path in list_checkpoints(checkpoints_dir)]
    return job_events.sync_checkpoints(job_id, found)


def rebuild_index(home: Path | None = None) -> RebuildReport:
    """Re-create the store's rows for every job directory and registered model under ``home``."""
    settings = get_settings()
    root = home or settings.home
    report = RebuildReport()
    jobs_dir = root / "jobs"
    for job_path in sorted(jobs_dir.iterdir()) if jobs_dir.is_dir() else []:
        try:
            report.jobs.append(_index_job(JobDir(job_path)))
        except (FileNotFoundError, ValueError) as exc:
            report.skipped.append(f"{job_path}: {exc}")
    models_dir = root / "models"
    for meta in sorted(models_dir.glob(f"*/*/{MODEL_VERSION_FILE}")) if models_dir.is_dir() else []:
        data = json.loads(meta.read_text(encoding="utf-8"))
        data["created_at"] = datetime.fromisoformat(data["created_at"])
        report.model_versions.append(model_versions.upsert_version(**data).id)
    return report


def _index_job(job_dir: JobDir) -> str:
    spec, plan = job_dir.read_spec(), job_dir.read_plan()
    model = job_dir.model_choice(spec, plan)
    events = iter_events(job_dir.events_file)
    plans.save_plan(plan)
    jobs.upsert_job(
        id=spec.job_id,
        plan_id=spec.plan_id,
        model_index=spec.model_index,
        recipe=spec.recipe,
        base_model=model.base_model,
        method=str(model.method),
        device=spec.device,
        job_dir=str(job_dir.root),
        max_steps=spec.max_steps,
        budget_usd=spec.budget_usd,
        hourly_rate_usd=spec.hourly_rate_usd,
        **_replay(events, _mtime(job_dir.spec_file)),
    )
    indexed = [
        (datetime.fromisoformat(e["ts"]), e["event"], _fields(e))
        for e in events
        if e.get("event") in INDEXED_EVENTS
    ]
    job_events.replace_events(spec.job_id, indexed)
    sync_checkpoints(spec.job_id, job_dir.checkpoints_dir)
    return spec.job_id


def _replay(events: list[dict[str, Any]], fallback: datetime) -> dict[str, Any]:
    """The job row's columns as the event log implies them."""
    cols: dict[str, Any] = {
        "state": str(JobState.QUEUED),
        "reason": "",
        "error": "",
        "step": 0,
        "loss": None,
        "cost_usd": 0.0,
        "metrics": {},
        "pid": None,
        "pid_started_at": None,
        "started_at": None,
        "finished_at": None,
    }
    stamps = [datetime.fromisoformat(e["ts"]) for e in events]
    cols["created_at"] = stamps[0] if stamps else fallback
    cols["updated_at"] = stamps[-1] if stamps else fallback
    for event, ts in zip(events, stamps, strict=True):
        _apply(cols, event, ts)
    return cols


def _apply(cols: dict[str, Any], event: dict[str, Any], ts: datetime) -> None:
    if isinstance(event.get("step"), int):
        cols["step"] = event["step"]
    if isinstance(event.get("loss"), int | float):
        cols["loss"] = float(event["loss"])
    if isinstance(event.get("cost_usd"), int | float):
        cols["cost_usd"] = max(cols["cost_usd"], float(event["cost_usd"]))
    if event.get("event") == "result":
        cols["metrics"] = event.get("metrics") or {}
    if event.get("event") != "state":
        return
    state = JobState(event["state"])
    cols.update(state=str(state), reason=event.get("reason", ""))
    if state is JobState.RUNNING and event.get("pid"):
        cols.update(pid=event["pid"], pid_started_at=event.get("pid_started_at"), started_at=ts)
    if state is JobState.FAILED:
        cols["error"] = event.get("error") or event.get("reason", "")
    cols["finished_at"] = ts if state.is_terminal else None


def _fields(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in ("ts", "event")}


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)
