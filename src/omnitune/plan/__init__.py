"""The training plan: schema, interpreter, presets, estimates; `build_plan` is the entry point."""

from omnitune.plan.builder import build_plan
from omnitune.plan.schema import TrainingPlan

__all__ = ["TrainingPlan", "build_plan"]
