"""Indexed job events and checkpoints (the job directory holds the full record)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from omnitune.store.db import session_scope
from omnitune.store.records import CheckpointRecord, JobEventRecord
from omnitune.store.tables import CheckpointRow, JobEventRow


def add_event(job_id: str, ts: datetime, event: str, fields: dict[str, Any]) -> None:
    """Index one event of a job."""
    with session_scope() as session:
        session.add(JobEventRow(job_id=job_id, ts=ts, event=event, fields=fields))


def replace_events(job_id: str, events: Iterable[tuple[datetime, str, dict[str, Any]]]) -> None:
    """Replace a job's indexed events (used when rebuilding the index from events.jsonl)."""
    with session_scope() as session:
        session.execute(sa.delete(JobEventRow).where(JobEventRow.job_id == job_id))
        session.add_all(JobEventRow(job_id=job_id, ts=ts, event=ev, fields=f) for ts, ev, f in events)


def list_events(job_id: str, event: str | None = None) -> list[JobEventRecord]:
    """A job's indexed events, oldest first."""
    query = sa.select(JobEventRow).where(JobEventRow.job_id == job_id).order_by(JobEventRow.id)
    if event is not None:
        query = query.where(JobEventRow.event == event)
    with session_scope() as session:
        return [JobEventRecord.model_validate(row) for row in session.scalars(query)]


def sync_checkpoints(job_id: str, found: Iterable[tuple[int, str, datetime]]) -> list[CheckpointRecord]:
    """Make the indexed checkpoints of a job exactly ``found`` (step, path, created_at)."""
    with session_scope() as session:
        session.execute(sa.delete(CheckpointRow).where(CheckpointRow.job_id == job_id))
        rows = [CheckpointRow(job_id=job_id, step=s, path=p, created_at=c) for s, p, c in found]
        session.add_all(rows)
        session.flush()
        return [CheckpointRecord.model_validate(row) for row in rows]


def list_checkpoints(job_id: str) -> list[CheckpointRecord]:
    """A job's indexed checkpoints, oldest first."""
    query = sa.select(CheckpointRow).where(CheckpointRow.job_id == job_id).order_by(CheckpointRow.step)
    with session_scope() as session:
        return [CheckpointRecord.model_validate(row) for row in session.scalars(query)]
