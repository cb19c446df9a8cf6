"""The store's tables (SQLAlchemy 2 declarative): plans, jobs, job events, checkpoints, model versions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Store UTC (a naive value is taken to be UTC already)."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Read back as UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time in UTC (what every timestamp column holds)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of all omnitune tables."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: sa.JSON()}


class PlanRow(Base):
    """A stored TrainingPlan (its JSON is the contract; columns are for listing)."""

    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    created_at: Mapped[datetime]
    request: Mapped[str] = mapped_column(sa.Text, default="")
    plan_json: Mapped[str] = mapped_column(sa.Text)


class JobRow(Base):
    """One training job; its directory is the truth, this row indexes it."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    plan_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    model_index: Mapped[int] = mapped_column(default=0)
    recipe: Mapped[str] = mapped_column(sa.String(64))
    base_model: Mapped[str] = mapped_column(sa.String(200), default="")
    method: Mapped[str] = mapped_column(sa.String(64), default="")
    device: Mapped[str] = mapped_column(sa.String(32), default="cpu", index=True)
    state: Mapped[str] = mapped_column(sa.String(32), index=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    job_dir: Mapped[str] = mapped_column(sa.Text)
    pid: Mapped[int | None]
    pid_started_at: Mapped[float | None] = mapped_column(sa.Float)
    step: Mapped[int] = mapped_column(default=0)
    max_steps: Mapped[int | None]
    loss: Mapped[float | None] = mapped_column(sa.Float)
    budget_usd: Mapped[float | None] = mapped_column(sa.Float)
    hourly_rate_usd: Mapped[float] = mapped_column(sa.Float, default=0.0)
    cost_usd: Mapped[float] = mapped_column(sa.Float, default=0.0)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class JobEventRow(Base):
    """An indexed job event (state changes, alerts, results; per-step metrics stay in events.jsonl)."""

    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    ts: Mapped[datetime]
    event: Mapped[str] = mapped_column(sa.String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CheckpointRow(Base):
    """A complete checkpoint directory of a job."""

    __tablename__ = "checkpoints"
    __table_args__ = (sa.UniqueConstraint("job_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    step: Mapped[int]
    path: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]


class ModelVersionRow(Base):
    """A registered model version: artefact, checksum and lineage."""

    __tablename__ = "model_versions"
    __table_args__ = (sa.UniqueConstraint("name", "version"),)

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    version: Mapped[int]
    artefact_path: Mapped[str] = mapped_column(sa.Text)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    base_model: Mapped[str] = mapped_column(sa.String(200), default="")
    method: Mapped[str] = mapped_column(sa.String(64), default="")
    recipe: Mapped[str] = mapped_column(sa.String(64), default="")
    plan_id: Mapped[str] = mapped_column(sa.String(64), default="")
    job_id: Mapped[str] = mapped_column(sa.String(64), default="", index=True)
    dataset_hash: Mapped[str] = mapped_column(sa.String(128), default="")
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
