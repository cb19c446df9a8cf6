"""Multi-model pipeline shapes (lexicon/pipelines.yaml) and when a request needs one."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from omnitune.plan.lexicon import STRONG, _read
from omnitune.types import Modality, PipelineType, Task


@dataclass(frozen=True)
class StageSpec:
    """One model-training stage of a pipeline."""

    name: str
    role: str
    task: Task
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class PipelineSpec:
    """A pipeline shape and the task groups that call for it."""

    name: str
    when: tuple[frozenset[Task], ...]
    also_when_video_cue: tuple[frozenset[Task], ...]
    modality: Modality
    tasks: tuple[Task, ...]
    type: PipelineType
    description: str
    stages: tuple[StageSpec, ...]


def _groups(raw: list[list[str]]) -> tuple[frozenset[Task], ...]:
    return tuple(frozenset(Task(t) for t in group) for group in raw)


def _spec(name: str, raw: dict[str, Any]) -> PipelineSpec:
    return PipelineSpec(
        name=name,
        when=_groups(raw["when"]),
        also_when_video_cue=_groups(raw.get("also_when_video_cue", [])),
        modality=Modality(raw["modality"]),
        tasks=tuple(Task(t) for t in raw["tasks"]),
        type=PipelineType(raw["type"]),
        description=raw["description"],
        stages=tuple(
            StageSpec(s["name"], s["role"], Task(s["task"]), tuple(s.get("depends_on", [])))
            for s in raw["stages"]
        ),
    )


@lru_cache(maxsize=1)
def load_pipelines() -> dict[str, PipelineSpec]:
    """Every pipeline shape, in priority order."""
    return {name: _spec(name, raw) for name, raw in _read("pipelines.yaml").items()}


def detect_pipeline(
    scores: dict[Task, float], reference_pipeline: str | None, video_cue: bool
) -> PipelineSpec | None:
    """The first pipeline whose task groups all appear strongly, or the one a reference implies."""
    strong = {t for t, s in scores.items() if s >= STRONG}
    pipelines = load_pipelines()
    for spec in pipelines.values():
        if all(group & strong for group in spec.when):
            return spec
        if video_cue and spec.also_when_video_cue and all(g & strong for g in spec.also_when_video_cue):
            return spec
    return pipelines.get(reference_pipeline) if reference_pipeline else None
