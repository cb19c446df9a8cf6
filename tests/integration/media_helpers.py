"""Helpers for the audio, video and multimodal recipe tests: synthetic media, prepared dirs, contexts."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from omnitune.data.manifest import DatasetManifest, SplitInfo
from omnitune.plan.schema import ModelChoice, Training, TrainingPlan
from omnitune.recipes.base import RecipeContext, StopReason
from omnitune.types import DataFamily, Method, Modality


@pytest.fixture
def one_thread() -> Any:
    """Train on one CPU thread: on a shared 2-core machine a second thread mostly spins."""
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


class Events:
    """An EventSink that keeps every event in memory."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def emit(self, event: str, /, **fields: Any) -> None:
        self.events.append((event, fields))

    def losses(self) -> list[float]:
        return [f["loss"] for name, f in self.events if name == "metrics" and "loss" in f]

    def named(self, event: str) -> list[dict[str, Any]]:
        return [fields for name, fields in self.events if name == event]


class StopAfter:
    """A StopControl that answers ``reason`` from its ``calls``-th question on (never when calls is None)."""

    def __init__(self, calls: int | None = None, reason: StopReason = "pause") -> None:
        self.calls, self.reason, self.asked = calls, reason, 0

    def stop_requested(self) -> StopReason | None:
        self.asked += 1
        return self.reason if self.calls is not None and self.asked >= self.calls else None


def write_tone(path: Path, hz: float, seconds: float = 0.5, rate: int = 16000) -> str:
    """A sine tone WAV written with soundfile; returns its name relative to the dataset dir."""
    import soundfile

    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(str(path), (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32), rate)
    return f"{path.parent.name}/{path.name}"


def write_frames(folder: Path, count: int, size: int, color: tuple[int, int, int], moving: bool) -> str:
    """A folder of PNG frames: a flat colour with a bright square that moves (or stays) across frames."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        pixels = np.zeros((size, size, 3), dtype=np.uint8) + np.array(color, dtype=np.uint8)
        x = (i * 2) % (size - 2) if moving else 1
        pixels[1:3, x : x + 2] = 255
        Image.fromarray(pixels).save(folder / f"{i:04d}.png")
    return f"{folder.parent.name}/{folder.name}/"


def write_prepared(
    directory: Path,
    modality: Modality,
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
        modality=modality,
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
    from_config: dict[str, Any] | None = None,
    hyperparameters: dict[str, Any] | None = None,
    control: StopAfter | None = None,
    resume_from: Path | None = None,
    max_steps: int | None = None,
    name: str = "run",
) -> tuple[RecipeContext, Events]:
    """A RecipeContext for a tiny from-config model, writing under ``tmp_path/name``."""
    choice = ModelChoice(role="main", base_model="tiny-from-config", method=method, recipe=recipe)
    plan = TrainingPlan(models=[choice], training=Training(hyperparameters=hyperparameters or {}))
    events = Events()
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
        extra={"from_config": from_config or {}},
    )
    return ctx, events
