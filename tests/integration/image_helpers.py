"""Helpers for the image recipe tests: a tiny saved pipeline, synthetic images and a recipe context."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from omnitune.data.manifest import DatasetManifest, SplitInfo
from omnitune.plan.schema import ModelChoice, Training, TrainingPlan
from omnitune.recipes.base import RecipeContext, StopReason
from omnitune.types import DataFamily, Method, Modality

TINY_HP: dict[str, Any] = {
    "resolution": 32,
    "validation_steps_inference": 2,
    "learning_rate": 1e-3,
    "batch_size": 2,
    "lora_r": 4,
    "snr_gamma": 5.0,
    "num_threads": 1,
}


class RecordingEvents:
    """An EventSink that keeps every event in memory."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def emit(self, event: str, /, **fields: Any) -> None:
        self.events.append((event, fields))

    def named(self, name: str) -> list[dict[str, Any]]:
        return [fields for event, fields in self.events if event == name]


class StopAfter:
    """A StopControl that asks to stop with ``reason`` once it has been asked ``calls`` times."""

    def __init__(self, calls: int | None = None, reason: StopReason = "pause") -> None:
        self.calls, self.reason, self.asked = calls, reason, 0

    def stop_requested(self) -> StopReason | None:
        self.asked += 1
        return self.reason if self.calls is not None and self.asked >= self.calls else None


def save_tiny_pipeline(directory: Path) -> Path:
    """Build the tiny Stable Diffusion pipeline from its config and save it like a Hub snapshot."""
    from omnitune.recipes.image.models import build_tiny_sd_pipeline

    build_tiny_sd_pipeline({"max_length": 24}).save_pretrained(directory)
    return directory


def pattern_image(kind: int, size: tuple[int, int], seed: int) -> Image.Image:
    """A striped colour pattern (distinct per ``kind``) with a little noise."""
    w, h = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    colours = [(220, 40, 40), (40, 60, 220), (30, 180, 60)]
    base = np.array(colours[kind % len(colours)], dtype=np.float32)
    stripes = ((xx + yy * kind) // 4 % 2)[..., None].astype(np.float32)
    pixels = base * (0.5 + 0.5 * stripes) + rng.normal(0, 8, (h, w, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def write_image_dataset(directory: Path, rows: list[dict[str, Any]]) -> Path:
    """A prepared image dataset: images/… , train.jsonl and manifest.json (rows hold PIL images)."""
    (directory / "images").mkdir(parents=True, exist_ok=True)
    records = []
    for i, row in enumerate(rows):
        record = {k: v for k, v in row.items() if not isinstance(v, Image.Image)}
        for key, value in row.items():
            if isinstance(value, Image.Image):
                name = f"images/{i:04d}-{key}.png"
                value.save(directory / name)
                record[key] = name
        records.append(record)
    text = "".join(json.dumps(r) + "\n" for r in records)
    (directory / "train.jsonl").write_text(text, encoding="utf-8")
    DatasetManifest(
        modality=Modality.IMAGE,
        family=DataFamily.IMAGE,
        source_format="imagefolder",
        source=str(directory),
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        splits={"train": SplitInfo(file="train.jsonl", records=len(records))},
    ).write(directory)
    return directory


def captioned_rows(count: int = 4) -> list[dict[str, Any]]:
    """Captioned pattern images in two aspect ratios (so buckets are exercised)."""
    sizes = [(32, 32), (48, 32)]
    return [
        {
            "file_name": pattern_image(i % 2, sizes[(i // 2) % 2], i),
            "text": ["red stripes", "blue stripes"][i % 2],
        }
        for i in range(count)
    ]


def make_context(
    tmp_path: Path,
    base_model: Path | str,
    data_dir: Path,
    recipe: str,
    method: Method,
    hyperparameters: dict[str, Any],
    *,
    max_steps: int | None = None,
    stop: StopAfter | None = None,
    resume_from: Path | None = None,
    run_name: str = "run",
) -> tuple[RecipeContext, RecordingEvents]:
    """A RecipeContext for one run under ``tmp_path/run_name``."""
    choice = ModelChoice(role="generator", base_model=str(base_model), method=method, recipe=recipe)
    plan = TrainingPlan(models=[choice], training=Training(hyperparameters=hyperparameters))
    events = RecordingEvents()
    ctx = RecipeContext(
        plan=plan,
        model=choice,
        data_dir=data_dir,
        output_dir=tmp_path / run_name / "output",
        checkpoints_dir=tmp_path / "checkpoints",
        events=events,
        control=stop or StopAfter(),
        resume_from=resume_from,
        max_steps=max_steps,
    )
    return ctx, events
