"""Typed records the store hands out (pydantic), so no ORM object leaves `store/`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from omnitune.types import JobState


class _Record(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class JobRecord(_Record):
    """One job as indexed in the store."""

    id: str
    plan_id: str
    model_index: int = 0
    recipe: str
    base_model: str = ""
    method: str = ""
    device: str = "cpu"
    state: JobState
    reason: str = ""
    job_dir: str
    pid: int | None = None
    pid_started_at: float | None = None
    step: int = 0
    max_steps: int | None = None
    loss: float | None = None
    budget_usd: float | None = None
    hourly_rate_usd: float = 0.0
    cost_usd: float = 0.0
    metrics: dict[str, Any] = Field(default_factory=dict)
    error: str = ""
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class JobEventRecord(_Record):
    """One indexed job event."""

    job_id: str
    ts: datetime
    event: str
    fields: dict[str, Any] = Field(default_factory=dict)


class CheckpointRecord(_Record):
    """One complete checkpoint of a job."""

    job_id: str
    step: int
    path: str
    created_at: datetime


class ModelVersionRecord(_Record):
    """A registered model version with its lineage."""

    id: str
    name: str
    version: int
    artefact_path: str
    sha256: str
    base_model: str = ""
    method: str = ""
    recipe: str = ""
    plan_id: str = ""
    job_id: str = ""
    dataset_hash: str = ""
    metrics: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime

    @property
    def ref(self) -> str:
        """The human reference ``name:vN``."""
        return f"{self.name}:v{self.version}"
