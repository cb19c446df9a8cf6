"""Request and response bodies of the studio API (separate from the store's tables)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from omnitune.plan.schema import TrainingPlan
from omnitune.services.synthetic_data import SyntheticFormat
from omnitune.store.records import JobRecord, ModelVersionRecord
from omnitune.types import Method, Preset


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tile(StrEnum):
    """The editable tiles of a plan."""

    MODEL = "model"
    METHOD = "method"
    DATA = "data"
    GPU = "gpu"
    BUDGET = "budget"
    HYPERPARAMETERS = "hyperparameters"


class IntentOptions(_Body):
    """Explicit choices that override what the text says."""

    preset: Preset | None = None
    gpu: str | None = Field(None, max_length=64, description="GPU type, e.g. rtx-4090, h100, cpu.")
    budget_usd: float | None = Field(None, ge=0, le=1_000_000)
    data_path: str | None = Field(None, max_length=4096, description="A dataset under an allowed root.")
    base_model: str | None = Field(None, max_length=200, description="Catalog id of the base model.")
    method: Method | None = None


class ParseIntentRequest(_Body):
    """English in, plan out."""

    prompt: str = Field(..., min_length=3, max_length=4000, description="The training goal in English.")
    options: IntentOptions = Field(default_factory=IntentOptions)  # type: ignore[arg-type]


class PlanResponse(BaseModel):
    """A stored plan."""

    plan: TrainingPlan


class TileEdit(_Body):
    """New values for one tile; only the fields of that tile apply."""

    base_model: str | None = Field(None, max_length=200, description="model tile: a catalog id.")
    method: Method | None = Field(None, description="method tile.")
    path: str | None = Field(None, max_length=4096, description="data tile: dataset path.")
    type: str | None = Field(None, max_length=64, description="gpu tile: GPU type id, or 'cpu'.")
    budget_usd: float | None = Field(None, ge=0, le=1_000_000, description="budget tile: hard cap in USD.")
    preset: Preset | None = Field(None, description="budget or hyperparameters tile: preset.")
    values: dict[str, str | int | float | bool] | None = Field(
        None, description="hyperparameters tile: name -> value, e.g. {'learning_rate': 1e-4}."
    )


class ApproveRequest(_Body):
    """Approval options: data (when the plan has none), step cap, budget, registry name."""

    data_path: str | None = Field(None, max_length=4096)
    max_steps: int | None = Field(None, ge=1, le=10_000_000)
    budget_usd: float | None = Field(None, ge=0, le=1_000_000)
    model_name: str | None = Field(None, max_length=200, pattern=r"^[A-Za-z0-9._-]+$")


class CreateJobsRequest(ApproveRequest):
    """Queue the job(s) of a plan: the plan's id plus the approval options."""

    plan_id: str = Field(..., min_length=1, max_length=64)


class JobsResponse(BaseModel):
    """Several jobs."""

    jobs: list[JobRecord]


class JobResponse(BaseModel):
    """A job with its checkpoints, latest metrics and model versions."""

    job: JobRecord
    worker_lost: bool = False
    checkpoints: list[dict[str, Any]] = Field(default_factory=list)
    last_metrics: dict[str, Any] | None = None
    model_versions: list[ModelVersionRecord] = Field(default_factory=list)


class ResumeRequest(_Body):
    """Resume options."""

    budget_usd: float | None = Field(None, ge=0, le=1_000_000, description="A new, higher budget.")


class LogsResponse(BaseModel):
    """The tail of a job's worker log."""

    job_id: str
    lines: list[str]


class ModelsResponse(BaseModel):
    """Registered model versions."""

    models: list[ModelVersionRecord]


class RegisterModelRequest(_Body):
    """Register a finished job's artefact."""

    job_id: str = Field(..., min_length=1, max_length=64)
    name: str | None = Field(None, max_length=200, pattern=r"^[A-Za-z0-9._-]+$")


class UserResponse(BaseModel):
    """Who the token belongs to."""

    id: str
    name: str
    role: str
    email: str = ""


class LoginRequest(_Body):
    """Exchange an API token for a browser session cookie."""

    token: str = Field(..., min_length=4, max_length=200)


class ErrorBody(BaseModel):
    """Every error: what went wrong and the field at fault (null when no single field)."""

    message: str
    field: str | None = None
    code: str = "error"


class ErrorResponse(BaseModel):
    """The body of every non-2xx answer."""

    error: ErrorBody


class CredentialValue(_Body):
    """A credential to store; it is encrypted and never sent back."""

    value: SecretStr = Field(..., min_length=1, max_length=20_000)


class CredentialInfo(BaseModel):
    """That a credential is set, and since when; never its value."""

    name: str
    updated_at: datetime


class CredentialsResponse(BaseModel):
    """The credentials a user has set."""

    credentials: list[CredentialInfo]
    known: list[str] = Field(default_factory=list, description="Every name the vault accepts.")


class SyntheticDataRequest(_Body):
    """What to generate: a description and/or seed examples, how many records, in which layout, by whom."""

    description: str = Field("", max_length=4000, description="What the records should teach.")
    examples: list[dict[str, Any]] = Field(default_factory=list, max_length=50, description="Seed records.")
    count: int = Field(20, ge=1, le=500, description="Valid, distinct records wanted.")
    format: SyntheticFormat = Field(
        SyntheticFormat.CHAT, description="chat (messages) or qa (prompt/completion)."
    )
    generator: str = Field(
        ..., min_length=3, max_length=500, description="openai:MODEL@BASE_URL or anthropic:MODEL."
    )
    name: str = Field("synthetic", pattern=r"^[A-Za-z0-9._-]{1,64}$", description="The dataset file's name.")

    @model_validator(mode="after")
    def _something_to_go_on(self) -> SyntheticDataRequest:
        if not self.description.strip() and not self.examples:
            raise ValueError("give a description or at least one seed example")
        return self
