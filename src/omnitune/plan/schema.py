"""The TrainingPlan contract (schema_version "1"): what a person reviews and every later stage reads.

JSON key paths here are relied on by other tools; rename nothing without bumping
``schema_version``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from omnitune.types import Executor, Method, Modality, PipelineType, Preset, StepKind, Task

SCHEMA_VERSION = "1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class Intent(_Model):
    """What the person asked for, in structured words."""

    summary: str = Field("", description="One sentence restating the goal.")
    primary_goal: str = Field("", description="The main outcome the trained model must deliver.")
    secondary_goals: list[str] = Field(default_factory=list)
    constraints: list[str] = Field(default_factory=list, description="Limits stated in the request.")
    references: list[str] = Field(
        default_factory=list, description="Products named as a bar to reach, e.g. 'suno'."
    )


class Quality(_Model):
    """Output quality targets; only those that apply to the modality are set."""

    model_config = ConfigDict(extra="allow")

    resolution: str | None = Field(None, description="e.g. '1024x1024' or '4K'.")
    duration_s: float | None = Field(None, description="Length of generated audio/video in seconds.")
    sample_rate: int | None = None
    bit_depth: int | None = None
    fps: float | None = None
    context_length: int | None = Field(None, description="Tokens of context for LLMs.")


class Capabilities(_Model):
    """What the trained model(s) must be able to do."""

    modality: Modality | None = Field(None, description="null when the request does not say.")
    tasks: list[Task] = Field(default_factory=list, description="Most likely first.")
    sub_capabilities: list[str] = Field(default_factory=list)
    quality: Quality = Field(default_factory=Quality)  # type: ignore[arg-type]
    styles: list[str] = Field(default_factory=list)
    output_formats: list[str] = Field(default_factory=list)


class Alternative(_Model):
    """A catalog model that could replace the chosen one, and why."""

    model_id: str
    reason: str


class ModelChoice(_Model):
    """One model to train (a pipeline may have several)."""

    role: str = Field(..., description="What this model does in the pipeline, e.g. 'music_generator'.")
    base_model: str = Field(..., description="A catalog id.")
    alternatives: list[Alternative] = Field(default_factory=list)
    method: Method
    recipe: str = Field(..., description="A recipe registry key.")
    peak_vram_gb: float = 0.0
    estimated_hours: float = 0.0


class PipelineStage(_Model):
    """One stage of a multi-model pipeline."""

    name: str
    role: str
    depends_on: list[str] = Field(default_factory=list)


class Pipeline(_Model):
    """How the plan's models relate and feed one another."""

    type: PipelineType = PipelineType.SINGLE
    stages: list[PipelineStage] = Field(default_factory=list)
    description: str = ""


class DataSpec(_Model):
    """The data the plan needs (and, with --data, what was found)."""

    kind: str = Field("", description="e.g. 'chat', 'preference', 'image+caption', 'audio+text'.")
    format: str = Field("", description="Expected or detected format, e.g. 'sharegpt', 'imagefolder'.")
    path: str | None = Field(None, description="Dataset path or Hub id when the request names one.")
    min_samples: int = 0
    recommended_samples: int = 0
    found_samples: int | None = Field(None, description="Records found at `path`, when inspected.")
    preprocessing: list[str] = Field(default_factory=list)
    augmentation: list[str] = Field(default_factory=list)


class Gpu(_Model):
    """The accelerator the job runs on; type 'cpu' means no GPU."""

    type: str = "cpu"
    count: int = Field(1, ge=1)


class Training(_Model):
    """How training runs."""

    preset: Preset = Preset.BALANCED
    hyperparameters: dict[str, Any] = Field(
        default_factory=dict,
        description="learning_rate, lr_scheduler, epochs or max_steps, batch_size, "
        "gradient_accumulation, lora_r/alpha/dropout, precision, gradient_checkpointing, "
        "optimizer, quantization, resolution, seq_len ...",
    )
    adjustments: list[str] = Field(
        default_factory=list, description="One line per change made to the preset, with its reason."
    )
    gpu: Gpu = Field(default_factory=Gpu)  # type: ignore[arg-type]
    executor: Executor = Executor.LOCAL
    budget_usd: float | None = Field(None, ge=0, description="Hard cap; the job freezes at 100%.")


class Cost(_Model):
    """Estimated cost in US dollars."""

    gpu: float = 0.0
    storage: float = 0.0
    platform_fee: float = 0.0
    total: float = 0.0


class Estimates(_Model):
    """First-principles estimates of memory, time and cost."""

    peak_vram_gb: float = 0.0
    gpu_hours: float = 0.0
    cost_usd: Cost = Field(default_factory=Cost)


class Step(_Model):
    """One step a person would see in the plan's timeline."""

    n: int
    name: str
    kind: StepKind
    description: str = ""
    estimated_minutes: float = 0.0
    depends_on: list[int] = Field(default_factory=list)


class Feasibility(_Model):
    """Whether the plan can run as written."""

    ok: bool = True
    problems: list[str] = Field(default_factory=list)


class TrainingPlan(_Model):
    """The typed, versioned training plan: reviewed by a person, read by every later stage."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    schema_version: Literal["1"] = "1"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    request: str = ""
    interpreter: str = Field("rules", description="'rules' or 'llm:<model>'.")
    intent: Intent = Field(default_factory=Intent)  # type: ignore[arg-type]
    capabilities: Capabilities = Field(default_factory=Capabilities)  # type: ignore[arg-type]
    models: list[ModelChoice] = Field(default_factory=list)
    pipeline: Pipeline = Field(default_factory=Pipeline)  # type: ignore[arg-type]
    data: DataSpec = Field(default_factory=DataSpec)  # type: ignore[arg-type]
    training: Training = Field(default_factory=Training)  # type: ignore[arg-type]
    estimates: Estimates = Field(default_factory=Estimates)
    steps: list[Step] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    alternatives: list[str] = Field(default_factory=list, description="Other approaches worth considering.")
    feasibility: Feasibility = Field(default_factory=Feasibility)

    def to_json(self) -> str:
        """The plan as pretty JSON, the form that is stored and shown."""
        return self.model_dump_json(indent=2)

    @classmethod
    def from_file(cls, path: str) -> TrainingPlan:
        """Load and validate a plan file, naming the file in any error."""
        from pathlib import Path

        from pydantic import ValidationError

        text = Path(path).read_text(encoding="utf-8")
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise ValueError(f"{path}: not a valid TrainingPlan:\n{exc}") from exc
