"""The contract between the runtime and a recipe.

A recipe gets a prepared dataset, a resolved plan, a place to write, an event sink and a
stop control; it never touches the database or HTTP. It reports progress only through
``ctx.events`` and returns a ``RecipeResult``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from omnitune.plan.schema import ModelChoice, TrainingPlan
from omnitune.types import Method, Modality

StopReason = Literal["pause", "budget", "cancel"]
RecipeStatus = Literal["completed", "paused", "budget_frozen", "cancelled"]


class EventSink(Protocol):
    """Where a recipe reports: ``emit("metrics", step=3, loss=1.2, lr=1e-4, ...)``."""

    def emit(self, event: str, /, **fields: Any) -> None:
        """Record one event (appended to the job's events.jsonl by the runtime)."""
        ...


class StopControl(Protocol):
    """Asked by a recipe between optimiser steps whether it must stop."""

    def stop_requested(self) -> StopReason | None:
        """None to go on; otherwise checkpoint, then return with the matching status."""
        ...


@dataclass
class RecipeContext:
    """Everything a recipe run needs, resolved by the runtime from the plan."""

    plan: TrainingPlan
    model: ModelChoice
    data_dir: Path  # prepared dataset: manifest.json + train.jsonl [+ validation.jsonl]
    output_dir: Path  # final artefact (weights/adapter + tokenizer/processor)
    checkpoints_dir: Path  # checkpoints/step-N, written atomically
    events: EventSink
    control: StopControl
    resume_from: Path | None = None
    max_steps: int | None = None
    seed: int = 42
    device: str = "cpu"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The plan's hyperparameters (a shortcut)."""
        return self.plan.training.hyperparameters


@dataclass
class RecipeResult:
    """What a recipe run produced."""

    status: RecipeStatus
    step: int
    artefact_dir: Path | None = None
    metrics: dict[str, float] = field(default_factory=dict)


class Recipe(Protocol):
    """One standalone training recipe (one modality x family of methods)."""

    key: str
    modality: Modality
    methods: frozenset[Method]

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train, checkpointing and obeying ``ctx.control``; return the outcome."""
        ...
