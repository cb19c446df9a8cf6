"""Helpers for the alignment/text recipe tests: a prepared dataset on disk and a recipe context."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omnitune.data.manifest import DatasetManifest, SplitInfo
from omnitune.plan.schema import ModelChoice, Training, TrainingPlan
from omnitune.recipes.base import RecipeContext, StopReason
from omnitune.types import DataFamily, Method, Modality


class RecordingEvents:
    """An EventSink that keeps every event in memory."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def emit(self, event: str, /, **fields: Any) -> None:
        self.events.append((event, fields))

    def metrics(self) -> list[dict[str, Any]]:
        return [fields for name, fields in self.events if name == "metrics"]


class StopAfter:
    """A StopControl that asks to stop with ``reason`` once it has been asked ``calls`` times."""

    def __init__(self, calls: int | None = None, reason: StopReason = "pause") -> None:
        self.calls, self.reason, self.asked = calls, reason, 0

    def stop_requested(self) -> StopReason | None:
        self.asked += 1
        return self.reason if self.calls is not None and self.asked >= self.calls else None


def write_prepared(
    directory: Path,
    family: DataFamily,
    train: list[dict[str, Any]],
    validation: list[dict[str, Any]] | None = None,
) -> Path:
    """Write train/validation JSONL and a manifest, as `omnitune data prepare` would."""
    directory.mkdir(parents=True, exist_ok=True)
    splits = {"train": train} | ({"validation": validation} if validation else {})
    infos = {}
    for name, records in splits.items():
        text = "".join(json.dumps(r) + "\n" for r in records)
        (directory / f"{name}.jsonl").write_text(text, encoding="utf-8")
        infos[name] = SplitInfo(file=f"{name}.jsonl", records=len(records))
    digest = hashlib.sha256(json.dumps(splits, sort_keys=True).encode()).hexdigest()
    DatasetManifest(
        modality=Modality.LLM,
        family=family,
        source_format="jsonl",
        source=str(directory),
        content_hash=digest,
        splits=infos,
    ).write(directory)
    return directory


def make_ctx(
    tmp_path: Path,
    data_dir: Path,
    *,
    recipe: str,
    method: Method,
    base_model: str = "omnitune/tiny-llama",
    hyperparameters: dict[str, Any] | None = None,
    control: StopAfter | None = None,
    resume_from: Path | None = None,
    max_steps: int | None = None,
    name: str = "run",
) -> tuple[RecipeContext, RecordingEvents]:
    """A RecipeContext writing under ``tmp_path/name``, with recording events."""
    choice = ModelChoice(role="main", base_model=base_model, method=method, recipe=recipe)
    plan = TrainingPlan(models=[choice], training=Training(hyperparameters=hyperparameters or {}))
    events = RecordingEvents()
    ctx = RecipeContext(
        plan=plan,
        model=choice,
        data_dir=data_dir,
        output_dir=tmp_path / name / "model",
        checkpoints_dir=tmp_path / name / "checkpoints",
        events=events,
        control=control or StopAfter(),
        resume_from=resume_from,
        max_steps=max_steps,
    )
    return ctx, events


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Run torch on one thread: on a shared 2-core machine, more threads mostly wait on each other."""
    import torch

    before, env = torch.get_num_threads(), os.environ.get("OMNITUNE_NUM_THREADS")
    torch.set_num_threads(1)
    os.environ["OMNITUNE_NUM_THREADS"] = "1"  # recipes pick threads from the load average otherwise
    yield
    torch.set_num_threads(before)
    if env is None:
        os.environ.pop("OMNITUNE_NUM_THREADS", None)
    else:
        os.environ["OMNITUNE_NUM_THREADS"] = env
