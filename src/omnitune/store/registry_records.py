"""Typed records of the registry tables (pydantic), so no ORM object leaves `store/`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AliasRecord(_Record):
    """An alias assignment."""

    name: str
    alias: str
    version_id: str
    set_at: datetime


class AuditRecord(_Record):
    """One audited registry change."""

    ts: datetime
    action: str
    ref: str
    actor: str = ""
    details: dict[str, Any] = Field(default_factory=dict)


class EvaluationRecord(_Record):
    """A stored evaluation report's index row."""

    id: str
    version_id: str | None = None
    model_ref: str
    against_ref: str = ""
    passed: bool | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    report_path: str
    created_at: datetime


class UsageRecord(_Record):
    """Serving counters of one version."""

    version_id: str
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    last_used_at: datetime | None = None
