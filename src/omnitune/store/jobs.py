"""Job rows: insert, look up, atomic claims and guarded state transitions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from omnitune.store.db import session_scope
from omnitune.store.records import JobRecord
from omnitune.store.tables import JobRow, utcnow
from omnitune.types import JobState

ACTIVE_STATES = (JobState.RUNNING, JobState.PAUSING, JobState.CANCELLING)


class JobNotFoundError(KeyError):
    """No job matches the id (or prefix) given."""

    def __str__(self) -> str:
        return str(self.args[0])


def insert_job(**fields: Any) -> JobRecord:
    """Insert a new job row (``id``, ``plan_id``, ``recipe``, ``state``, ``job_dir`` … as columns)."""
    now = utcnow()
    fields.setdefault("created_at", now)
    fields.setdefault("updated_at", now)
    with session_scope() as session:
        row = JobRow(**{"metrics": {}, "reason": "", "error": "", **fields})
        session.add(row)
        session.flush()
        return JobRecord.model_validate(row)


def upsert_job(**fields: Any) -> JobRecord:
    """Insert or overwrite a job row by id (used when rebuilding the index)."""
    with session_scope() as session:
        row = session.merge(JobRow(**fields))
        session.flush()
        return JobRecord.model_validate(row)


def get_job(job_id: str) -> JobRecord:
    """The job with this id or unique id prefix; JobNotFoundError otherwise."""
    with session_scope() as session:
        row = session.get(JobRow, job_id)
        if row is None:
            rows = session.scalars(sa.select(JobRow).where(JobRow.id.startswith(job_id, autoescape=True)))
            matches = list(rows.all()) if job_id else []
            if len(matches) != 1:
                what = "is ambiguous" if matches else "matches no job"
                raise JobNotFoundError(f"job id {job_id!r} {what}; see `omnitune jobs list`")
            row = matches[0]
        return JobRecord.model_validate(row)


def list_jobs(states: Iterable[JobState] | None = None, device: str | None = None) -> list[JobRecord]:
    """Jobs, newest first, optionally filtered by state and device."""
    query = sa.select(JobRow).order_by(JobRow.created_at.desc())
    if states is not None:
        query = query.where(JobRow.state.in_([str(s) for s in states]))
    if device is not None:
        query = query.where(JobRow.device == device)
    with session_scope() as session:
        return [JobRecord.model_validate(row) for row in session.scalars(query)]


def update_job(job_id: str, **fields: Any) -> None:
    """Set columns of a job unconditionally (progress mirrors: step, loss, cost …)."""
    fields["updated_at"] = utcnow()
    with session_scope() as session:
        session.execute(sa.update(JobRow).where(JobRow.id == job_id).values(**fields))


def transition(
    job_id: str,
    to: JobState,
    *,
    from_states: Iterable[JobState],
    reason: str = "",
    expect_pid: int | None = None,
    **fields: Any,
) -> bool:
    """Move a job to ``to`` only if it is in one of ``from_states``; True when it moved.

    One conditional UPDATE, so two processes racing for the same job cannot both win;
    ``expect_pid`` also requires the recorded worker pid to be that one.
    """
    now = utcnow()
    values: dict[str, Any] = {"state": str(to), "reason": reason, "updated_at": now, **fields}
    if to is JobState.RUNNING:
        values.setdefault("started_at", now)
    if to.is_terminal:
        values.setdefault("finished_at", now)
    query = sa.update(JobRow).where(JobRow.id == job_id, JobRow.state.in_([str(s) for s in from_states]))
    if expect_pid is not None:
        query = query.where(JobRow.pid == expect_pid)
    with session_scope() as session:
        result = session.execute(query.values(**values))
        return bool(getattr(result, "rowcount", 0) == 1)


def claim_next(device: str, limit: int, job_id: str | None = None) -> JobRecord | None:
    """Atomically claim a queued job on ``device`` (the oldest, or ``job_id``) if a slot is free.

    A slot is free while fewer than ``limit`` jobs are active on the device. On SQLite the
    count and the claim share one write transaction; elsewhere the claim stays exclusive.
    """
    with session_scope() as session:
        active = session.scalar(
            sa.select(sa.func.count()).where(
                JobRow.device == device, JobRow.state.in_([str(s) for s in ACTIVE_STATES])
            )
        )
        if (active or 0) >= limit:
            return None
        queued = sa.select(JobRow.id).where(JobRow.device == device, JobRow.state == str(JobState.QUEUED))
        if job_id is not None:
            queued = queued.where(JobRow.id == job_id)
        candidate = session.scalar(queued.order_by(JobRow.updated_at).limit(1))
        if candidate is None:
            return None
        return _claim_in(session, candidate)


def claim(job_id: str) -> JobRecord | None:
    """Atomically move one queued job to running (no capacity check); None if someone else won."""
    with session_scope() as session:
        return _claim_in(session, job_id)


def _claim_in(session: Any, job_id: str) -> JobRecord | None:
    now = utcnow()
    result = session.execute(
        sa.update(JobRow)
        .where(JobRow.id == job_id, JobRow.state == str(JobState.QUEUED))
        .values(
            state=str(JobState.RUNNING),
            reason="claimed",
            pid=None,
            pid_started_at=None,
            started_at=now,
            updated_at=now,
        )
    )
    if result.rowcount != 1:
        return None
    return JobRecord.model_validate(session.get(JobRow, job_id))


def count_active(device: str) -> int:
    """Jobs holding a slot on ``device`` (running, pausing or cancelling)."""
    return len(list_jobs(ACTIVE_STATES, device=device))
