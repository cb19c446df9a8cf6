"""The job directory, the run's truth: `job.json`, `plan.json`, `events.jsonl`, logs, checkpoints, output."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from omnitune.plan.schema import ModelChoice, TrainingPlan

_M = TypeVar("_M", bound=BaseModel)


class JobSpec(BaseModel):
    """What one job runs (`job.json`); written once at submit, amended only by resume --budget."""

    job_id: str
    plan_id: str
    model_index: int = Field(0, ge=0, description="Index into the plan's `models`.")
    recipe: str
    data_dir: str = Field(..., description="A prepared dataset directory (manifest.json + splits).")
    max_steps: int | None = Field(None, ge=1)
    seed: int = 42
    budget_usd: float | None = Field(None, ge=0)
    hourly_rate_usd: float = Field(0.0, ge=0, description="Device price used to meter cost.")
    storage_usd_per_gb_month: float = Field(0.0, ge=0)
    device: str = "cpu"
    model_name: str | None = Field(None, description="Registry name for the trained model.")
    register_model: bool = Field(True, description="Register a model version when the job succeeds.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Recipe-specific options.")


@dataclass(frozen=True)
class JobDir:
    """Paths inside one job directory."""

    root: Path

    @property
    def spec_file(self) -> Path:
        """`job.json`."""
        return self.root / "job.json"

    @property
    def plan_file(self) -> Path:
        """`plan.json`."""
        return self.root / "plan.json"

    @property
    def events_file(self) -> Path:
        """`events.jsonl`."""
        return self.root / "events.jsonl"

    @property
    def log_file(self) -> Path:
        """`worker.log`: the worker's stdout and stderr."""
        return self.root / "worker.log"

    @property
    def control_file(self) -> Path:
        """`control`: a pending pause or cancel request."""
        return self.root / "control"

    @property
    def checkpoints_dir(self) -> Path:
        """`checkpoints/`."""
        return self.root / "checkpoints"

    @property
    def output_dir(self) -> Path:
        """`output/`: the final artefact."""
        return self.root / "output"

    def read_spec(self) -> JobSpec:
        """Load `job.json`, naming the file in any error."""
        return _load(self.spec_file, JobSpec)

    def read_plan(self) -> TrainingPlan:
        """Load `plan.json`, naming the file in any error."""
        return _load(self.plan_file, TrainingPlan)

    def model_choice(self, spec: JobSpec, plan: TrainingPlan) -> ModelChoice:
        """The plan's model this job trains, with a clear error for a bad index."""
        if not 0 <= spec.model_index < len(plan.models):
            raise ValueError(
                f"{self.spec_file}: model_index {spec.model_index} is out of range; "
                f"the plan has {len(plan.models)} model(s)"
            )
        return plan.models[spec.model_index]

    def write_spec(self, spec: JobSpec) -> None:
        """Write `job.json` atomically."""
        write_atomic(self.spec_file, spec.model_dump_json(indent=2))

    def write_plan(self, plan: TrainingPlan) -> None:
        """Write `plan.json` atomically."""
        write_atomic(self.plan_file, plan.to_json())


def write_atomic(path: Path, text: str) -> None:
    """Write a small file so that readers see either the old or the new content, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _load(path: Path, model: type[_M]) -> _M:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing; is {path.parent} a job directory?")
    try:
        return model.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        raise ValueError(f"{path}: not a valid {model.__name__}:\n{exc}") from exc
