"""Registry tables (revision 0002): alias history, tags, audit log, evaluation reports, serving usage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from omnitune.store.tables import Base


def _version_fk() -> sa.ForeignKey:
    return sa.ForeignKey("model_versions.id", ondelete="CASCADE")


class AliasHistoryRow(Base):
    """One assignment of an alias; the newest row per (name, alias) is current, older ones allow rollback."""

    __tablename__ = "model_alias_history"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    alias: Mapped[str] = mapped_column(sa.String(64))
    version_id: Mapped[str] = mapped_column(sa.String(64), _version_fk())
    set_at: Mapped[datetime]


class TagRow(Base):
    """A key=value tag on a model version."""

    __tablename__ = "model_tags"

    version_id: Mapped[str] = mapped_column(sa.String(64), _version_fk(), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, default="")


class AuditRow(Base):
    """One change to the registry: who did what to which reference."""

    __tablename__ = "registry_audit"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    ts: Mapped[datetime]
    action: Mapped[str] = mapped_column(sa.String(64))
    ref: Mapped[str] = mapped_column(sa.String(300), index=True)
    actor: Mapped[str] = mapped_column(sa.String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EvaluationRow(Base):
    """An evaluation report stored with a model version (the JSON file is the full report)."""

    __tablename__ = "model_evaluations"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    version_id: Mapped[str | None] = mapped_column(sa.String(64), _version_fk(), index=True)
    model_ref: Mapped[str] = mapped_column(sa.String(300))
    against_ref: Mapped[str] = mapped_column(sa.String(300), default="")
    passed: Mapped[bool | None]
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    report_path: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]


class UsageRow(Base):
    """Serving counters of a model version."""

    __tablename__ = "serving_usage"

    version_id: Mapped[str] = mapped_column(sa.String(64), _version_fk(), primary_key=True)
    requests: Mapped[int] = mapped_column(default=0)
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    last_used_at: Mapped[datetime | None]
