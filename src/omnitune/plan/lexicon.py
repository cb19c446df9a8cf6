"""The interpreter's phrase lexicons (YAML data under plan/lexicon/), compiled once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from omnitune.types import Method, Modality, Task

STRONG, WEAK = 3.0, 1.0


def _read(name: str) -> Any:
    text = resources.files("omnitune.plan").joinpath("lexicon", name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # C loader: ~10x faster


def _compile(pattern: str, case: bool = False) -> re.Pattern[str]:
    flags = 0 if case else re.IGNORECASE
    return re.compile(rf"(?<![\w-])(?:{pattern})(?![\w])", flags)


@dataclass(frozen=True)
class TaskEntry:
    """Patterns and example phrasings for one task."""

    task: Task
    patterns: tuple[tuple[re.Pattern[str], float], ...]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Reference:
    """A product named as a bar to reach (suno, midjourney ...)."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    tasks: tuple[Task, ...]
    pipeline: str | None = None
    quality: dict[str, Any] = field(default_factory=dict)
    preset: str | None = None
    frontier: bool = False


@dataclass(frozen=True)
class ModelAlias:
    """A name people write for a family of catalog models."""

    pattern: re.Pattern[str]
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    """Everything the rules interpreter matches against."""

    tasks: tuple[TaskEntry, ...]
    modalities: dict[Modality, tuple[re.Pattern[str], ...]]
    methods: tuple[tuple[Method, tuple[re.Pattern[str], ...]], ...]
    method_tasks: dict[Method, Task]
    references: tuple[Reference, ...]
    claims: tuple[str, ...]
    generic_words: frozenset[str]
    models: tuple[ModelAlias, ...]


def _task_entries(raw: dict[str, Any]) -> tuple[TaskEntry, ...]:
    entries = []
    for name, spec in raw.items():
        pats = [(_compile(p), STRONG) for p in spec.get("strong", [])]
        pats += [(_compile(p), WEAK) for p in spec.get("weak", [])]
        entries.append(TaskEntry(Task(name), tuple(pats), tuple(spec.get("examples", []))))
    return tuple(entries)


def _references(raw: dict[str, Any]) -> tuple[Reference, ...]:
    return tuple(
        Reference(
            name=name,
            patterns=tuple(_compile(p) for p in spec["patterns"]),
            tasks=tuple(Task(t) for t in spec.get("tasks", [])),
            pipeline=spec.get("pipeline"),
            quality=dict(spec.get("quality", {})),
            preset=spec.get("preset"),
            frontier=bool(spec.get("frontier", False)),
        )
        for name, spec in raw.items()
    )


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The compiled lexicon (cached for the process)."""
    signals = _read("signals.yaml")
    return Lexicon(
        tasks=_task_entries(_read("tasks.yaml")),
        modalities={
            Modality(m): tuple(_compile(p) for p in pats) for m, pats in signals["modalities"].items()
        },
        methods=tuple(
            (Method(m), tuple(_compile(p) for p in pats)) for m, pats in signals["methods"].items()
        ),
        method_tasks={Method(m): Task(t) for m, t in signals["method_tasks"].items()},
        references=_references(signals["references"]),
        claims=tuple(signals["claims"]),
        generic_words=frozenset(signals["generic_words"]),
        models=tuple(
            ModelAlias(_compile(m["pattern"], bool(m.get("case"))), tuple(m["ids"]))
            for m in _read("models.yaml")
        ),
    )
