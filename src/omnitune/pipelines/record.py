"""The pipeline record, the pipeline's truth on disk: `<OMNITUNE_HOME>/pipelines/<id>/pipeline.json`."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field

from omnitune.settings import get_settings


class StageState(StrEnum):
    """Where one stage stands; `used_as_is` stages run no job (the catalog model is not trainable)."""

    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    USED_AS_IS = "used_as_is"
    FAILED = "failed"
    BLOCKED = "blocked"
    STOPPED = "stopped"


DONE = frozenset({StageState.SUCCEEDED, StageState.USED_AS_IS})
IN_FLIGHT = frozenset({StageState.QUEUED, StageState.RUNNING})


class StageRecord(BaseModel):
    """One stage: the plan model it trains, its data, its job and how it went."""

    name: str
    role: str
    model_index: int
    base_model: str
    depends_on: list[str] = Field(default_factory=list)
    data: str | None = None
    state: StageState = StageState.PENDING
    reason: str = ""
    job_id: str | None = None
    attempts: int = 0
    model_version: str | None = None
    artefact_path: str | None = None


class PipelineRecord(BaseModel):
    """A multi-model run: its plan, options and stages (in dependency order)."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    plan_id: str
    request: str = ""
    type: str = "single"
    state: str = "running"
    reason: str = ""
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    updated_at: str = ""
    max_steps: int | None = None
    budget_usd: float | None = None
    max_retries: int = 1
    device: str | None = None
    driver_pid: int | None = None
    stages: list[StageRecord] = Field(default_factory=list)

    def stage(self, name: str) -> StageRecord:
        """The stage called ``name`` (KeyError naming the stages otherwise)."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(f"pipeline {self.id} has no stage {name!r}; stages: {[s.name for s in self.stages]}")


def pipelines_dir() -> Path:
    """`<OMNITUNE_HOME>/pipelines`."""
    return get_settings().home / "pipelines"


def pipeline_dir(pipeline_id: str) -> Path:
    """The directory of one pipeline."""
    return pipelines_dir() / pipeline_id


def save(record: PipelineRecord) -> PipelineRecord:
    """Write `pipeline.json` atomically (temp file + rename), so readers never see half a record."""
    record.updated_at = datetime.now(UTC).isoformat()
    folder = pipeline_dir(record.id)
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".pipeline.json.{os.getpid()}.tmp"
    temp.write_text(record.model_dump_json(indent=2), encoding="utf-8")
    os.replace(temp, folder / "pipeline.json")
    return record


def load(pipeline_id: str) -> PipelineRecord:
    """One pipeline by id or unique id prefix."""
    matches = [p for p in list_ids() if p.startswith(pipeline_id)]
    if len(matches) != 1:
        found = "no pipeline" if not matches else f"{len(matches)} pipelines"
        raise KeyError(f"{found} with id {pipeline_id!r}; see `omnitune pipelines list`")
    path = pipeline_dir(matches[0]) / "pipeline.json"
    return PipelineRecord.model_validate_json(path.read_text(encoding="utf-8"))


def list_ids() -> list[str]:
    """Ids of every stored pipeline."""
    root = pipelines_dir()
    return sorted(p.parent.name for p in root.glob("*/pipeline.json")) if root.is_dir() else []


def list_all() -> list[PipelineRecord]:
    """Every pipeline, newest first."""
    records = [load(i) for i in list_ids()]
    return sorted(records, key=lambda r: r.created_at, reverse=True)
