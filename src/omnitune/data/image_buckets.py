"""Resize-and-crop geometry: square crops or aspect-ratio buckets of (about) equal pixel area."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from PIL import Image

BUCKET_STEP = 64
MAX_BUCKET_RATIO = 2.0


def make_buckets(
    resolution: int, step: int | None = None, max_ratio: float = MAX_BUCKET_RATIO
) -> list[tuple[int, int]]:
    """(width, height) buckets in multiples of ``step`` (64; finer when small), each near ``resolution``²."""
    step = step or max(8, min(BUCKET_STEP, resolution // 8))
    area = resolution * resolution
    buckets = set()
    for width in range(step, resolution * 4 + step, step):
        height = max(step, int(area / width) // step * step)
        if max(width / height, height / width) <= max_ratio + 1e-9:
            buckets.add((width, height))
    return sorted(buckets)


def nearest_bucket(width: int, height: int, buckets: list[tuple[int, int]]) -> tuple[int, int]:
    """The bucket whose aspect ratio is closest to the image's (log scale, so 2:1 and 1:2 are symmetric)."""
    aspect = math.log(width / height)
    return min(buckets, key=lambda b: (abs(math.log(b[0] / b[1]) - aspect), -b[0] * b[1]))


@dataclass(frozen=True)
class Geometry:
    """How one image becomes a training sample: resize to ``resized``, crop ``box``, maybe flip."""

    resized: tuple[int, int]
    box: tuple[int, int, int, int]
    flip: bool = False

    def apply(self, image: Image.Image, resample: Image.Resampling = Image.Resampling.LANCZOS) -> Image.Image:
        """Apply this geometry (a conditioning image or mask gets the very same one)."""
        if image.size != self.resized:
            image = image.resize(self.resized, resample)
        image = image.crop(self.box)
        return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if self.flip else image


def plan_geometry(size: tuple[int, int], target: tuple[int, int], crop: str, rng: random.Random) -> Geometry:
    """Scale ``size`` to cover ``target`` and pick the crop: centred, or random with ``rng``."""
    if crop not in ("center", "random"):
        raise ValueError(f"crop={crop!r}: expected 'center' or 'random'")
    width, height = size
    scale = max(target[0] / width, target[1] / height)
    resized = (max(target[0], round(width * scale)), max(target[1], round(height * scale)))
    spare_x, spare_y = resized[0] - target[0], resized[1] - target[1]
    if crop == "random":
        left, top = rng.randint(0, spare_x), rng.randint(0, spare_y)
    else:
        left, top = spare_x // 2, spare_y // 2
    return Geometry(resized, (left, top, left + target[0], top + target[1]))


def target_size(
    size: tuple[int, int], resolution: int, buckets: list[tuple[int, int]] | None
) -> tuple[int, int]:
    """The output size of one image: its bucket, or a ``resolution`` square."""
    return nearest_bucket(*size, buckets) if buckets else (resolution, resolution)
