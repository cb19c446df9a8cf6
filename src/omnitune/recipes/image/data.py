"""Prepared image datasets for the recipes: rows, pixels, aspect-ratio buckets and a resumable order.

Images are opened with the data layer's ``load_image_rgb`` (upright RGB, cover-resize + centre crop).
Rows come from `train.jsonl` of a prepared directory: ``{"file_name", "text", ...}`` with optional
``conditioning_file_name``, ``mask_file_name``, ``label`` and ``is_class_image``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

Row = dict[str, Any]


def read_rows(data_dir: Path, split: str = "train") -> list[Row]:
    """The rows of ``split`` (train.jsonl by default), each with its line number for errors."""
    path = Path(data_dir) / f"{split}.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing; prepare the images with `omnitune data prepare` first")
    rows = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if "file_name" not in row:
            raise ValueError(f"{path}:{line_no}: no 'file_name' field (expected a relative image path)")
        rows.append({**row, "_line": line_no})
    if not rows:
        raise ValueError(f"{path}: no rows; the recipe needs at least one image")
    return rows


def image_size(path: Path) -> tuple[int, int]:
    """(height, width) read from the file header, without decoding the pixels."""
    with Image.open(path) as image:
        return image.height, image.width


def to_tensor(image: Image.Image, normalize: bool = True) -> torch.Tensor:
    """CHW float tensor in [-1, 1] (``normalize``) or [0, 1]."""
    array = np.asarray(image, dtype=np.float32) / 255.0
    tensor = torch.from_numpy(array).permute(2, 0, 1).contiguous()
    return tensor * 2.0 - 1.0 if normalize else tensor


def assign_buckets(
    sizes: list[tuple[int, int]], resolution: int, divisibility: int, enabled: bool
) -> list[tuple[int, int]]:
    """The (height, width) each image trains at: its nearest aspect bucket, or a square."""
    if not enabled:
        return [(resolution, resolution)] * len(sizes)
    from diffusers.training_utils import find_nearest_bucket, generate_aspect_ratio_buckets

    buckets = generate_aspect_ratio_buckets(resolution, divisibility=divisibility)
    return [buckets[find_nearest_bucket(h, w, buckets)] for h, w in sizes]


@dataclass
class BatchOrder:
    """Batches of row indices, each from one bucket, reshuffled every epoch from the seed.

    The position (epoch, batch) is part of every checkpoint, so a resumed run sees exactly the
    batches the uninterrupted run would have seen.
    """

    bucket_of: list[tuple[int, int]]
    batch_size: int
    seed: int
    epoch: int = 0
    index: int = 0
    _batches: list[list[int]] = field(default_factory=list, repr=False)

    def next(self) -> list[int]:
        """The next batch of row indices, starting a new epoch when one is used up."""
        if not self._batches:
            self._batches = self._epoch_batches(self.epoch)
        if self.index >= len(self._batches):
            self.epoch, self.index = self.epoch + 1, 0
            self._batches = self._epoch_batches(self.epoch)
        batch = self._batches[self.index]
        self.index += 1
        return batch

    def batches_per_epoch(self) -> int:
        """How many batches one pass over the data makes."""
        return len(self._epoch_batches(self.epoch))

    def _epoch_batches(self, epoch: int) -> list[list[int]]:
        rng = random.Random(self.seed * 100_003 + epoch)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, bucket in enumerate(self.bucket_of):
            groups.setdefault(bucket, []).append(i)
        batches = []
        for key in sorted(groups):
            members = groups[key]
            rng.shuffle(members)
            batches += [members[i : i + self.batch_size] for i in range(0, len(members), self.batch_size)]
        rng.shuffle(batches)
        return batches

    def state_dict(self) -> dict[str, int]:
        """Where in the data the run is."""
        return {"epoch": self.epoch, "index": self.index}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Continue from a checkpoint's position."""
        self.epoch, self.index, self._batches = int(state["epoch"]), int(state["index"]), []


@dataclass
class PairedOrder:
    """Instance batches each joined by a class (prior-preservation) batch at an index offset."""

    instances: BatchOrder
    classes: BatchOrder
    offset: int  # class row j is row ``offset + j`` of the combined list

    def next(self) -> list[int]:
        """Instance row indices followed by class row indices."""
        return self.instances.next() + [self.offset + j for j in self.classes.next()]

    def batches_per_epoch(self) -> int:
        """Batches in one pass over the instance images."""
        return self.instances.batches_per_epoch()

    def state_dict(self) -> dict[str, dict[str, int]]:
        """Both positions."""
        return {"instances": self.instances.state_dict(), "classes": self.classes.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue both orders from a checkpoint."""
        self.instances.load_state_dict(state["instances"])
        self.classes.load_state_dict(state["classes"])
