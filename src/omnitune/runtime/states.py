"""State changes, recorded twice: as an event in `events.jsonl` (the truth) and in the store (the index)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from omnitune.runtime.events import INDEXED_EVENTS, append_event
from omnitune.runtime.jobdir import JobDir
from omnitune.store import job_events, jobs
from omnitune.types import JobState


def set_state(
    job_id: str,
    job_dir: Path | str,
    to: JobState,
    *,
    from_states: Iterable[JobState],
    reason: str,
    columns: dict[str, Any] | None = None,
    expect_pid: int | None = None,
    **event_fields: Any,
) -> bool:
    """Move the job to ``to`` if it is in ``from_states``; record the change with its reason."""
    columns = dict(columns or {})
    if to is JobState.FAILED:
        columns.setdefault("error", reason)
    if not jobs.transition(
        job_id, to, from_states=from_states, reason=reason, expect_pid=expect_pid, **columns
    ):
        return False
    record_event(job_id, job_dir, "state", state=str(to), reason=reason, **event_fields)
    return True


def record_event(job_id: str, job_dir: Path | str, event: str, /, **fields: Any) -> dict[str, Any]:
    """Append an event to the job's file and index it when it is one the store keeps."""
    record = append_event(JobDir(Path(job_dir)).events_file, event, **fields)
    if event in INDEXED_EVENTS:
        index_event(job_id, record)
    return record


def index_event(job_id: str, record: dict[str, Any]) -> None:
    """Index one event record (as read from or written to events.jsonl) in the store."""
    fields = {k: v for k, v in record.items() if k not in ("ts", "event")}
    job_events.add_event(job_id, datetime.fromisoformat(record["ts"]), record["event"], fields)
