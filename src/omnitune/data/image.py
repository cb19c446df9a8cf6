"""Image datasets: `inspect_images` says what is there and what is wrong; `prepare_images` converts it.

Accepted layouts (detected, reported as `format`):
- `imagefolder-captions`: images with same-name `.txt` (or `.caption`) files;
- `imagefolder-metadata`: `metadata.jsonl`/`.csv` with a file column (file_name, image, path…), a caption
  column (text, caption, prompt…), optional label, conditioning_image / mask columns;
- `imagefolder-classes`: one sub-folder per class, no captions;
- `controlnet` / `inpainting`: a `conditioning/` or `masks/` folder with the same file names;
- `dreambooth`: a `class_images/` (or `class/`, `reg/`, `regularization/`) folder of prior images;
- `imagefolder`: bare images (caption them with `trigger_word=` or a `captioner`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from statistics import median
from typing import Any

from PIL import Image

from omnitune.data.image_assess import ImageAssessment, assess_images
from omnitune.data.image_buckets import make_buckets, nearest_bucket, plan_geometry
from omnitune.data.image_captions import clean_caption
from omnitune.data.image_checks import open_rgb
from omnitune.data.image_prepare import prepare_images
from omnitune.data.image_sources import IMAGE_EXTENSIONS, ImageItem
from omnitune.data.report import InspectionReport, Problem
from omnitune.types import DataFamily, Modality

__all__ = ["assess_images", "inspect_images", "load_image_rgb", "prepare_images"]


def inspect_images(path: Path, *, resolution: int = 512, preview: int = 5) -> InspectionReport:
    """Detect the image layout, validate every file, report sizes, aspect ratios, buckets and problems."""
    path = Path(path)
    report = InspectionReport(path=str(path), modality=Modality.IMAGE)
    if not path.exists():
        report.problems.append(
            Problem(file=str(path), message="no such file or directory", hint="check the path")
        )
        return report
    result = assess_images(path)
    layout = result.layout
    report.problems = result.problems
    report.files = len(layout.items)
    report.records = result.candidates
    if not layout.items:
        report.problems.append(
            Problem(
                file=str(path),
                message="no images found",
                hint=f"supported extensions: {', '.join(sorted(IMAGE_EXTENSIONS))}",
            )
        )
        return report
    report.format, report.family = layout.format, DataFamily.IMAGE
    report.confidence = 0.95 if layout.format != "imagefolder" else 0.8
    report.evidence = layout.evidence
    report.stats = image_stats(result, resolution)
    report.preview = [preview_record(i) for i in result.good[:preview]]
    return report


def preview_record(item: ImageItem) -> dict[str, Any]:
    """The normalised shape of one item before preprocessing (paths relative to the source)."""
    record: dict[str, Any] = {**item.extra, "file_name": item.rel, "text": clean_caption(item.caption or "")}
    if item.label is not None:
        record["label"] = item.label
    if item.conditioning is not None:
        record["conditioning_file_name"] = item.conditioning.name
    if item.mask is not None:
        record["mask_file_name"] = item.mask.name
    record["is_class_image"] = item.is_class_image
    return record


def image_stats(result: ImageAssessment, resolution: int) -> dict[str, Any]:
    """Resolutions, aspect ratios, modes, captions, labels and the buckets the images would fill."""
    checks = [result.checks[i.rel] for i in result.good]
    if not checks:
        return {"images": 0}
    widths, heights = [c.width for c in checks], [c.height for c in checks]
    aspects = [round(c.width / c.height, 3) for c in checks]
    buckets = make_buckets(resolution)
    stats: dict[str, Any] = {
        "images": len(checks),
        "width": {"min": min(widths), "median": median(widths), "max": max(widths)},
        "height": {"min": min(heights), "median": median(heights), "max": max(heights)},
        "aspect_ratio": {"min": min(aspects), "median": median(aspects), "max": max(aspects)},
        "resolutions": dict(Counter(f"{c.width}x{c.height}" for c in checks).most_common(10)),
        "modes": dict(Counter(c.mode for c in checks)),
        "formats": dict(Counter(c.format for c in checks)),
        "exif_rotated": sum(c.rotated for c in checks),
        "captioned": sum(bool(i.caption) for i in result.good),
        "class_images": sum(i.is_class_image for i in result.good),
        f"buckets@{resolution}": dict(
            Counter("{}x{}".format(*nearest_bucket(c.width, c.height, buckets)) for c in checks)
        ),
    }
    labels = Counter(i.label for i in result.good if i.label is not None)
    if labels:
        stats["labels"] = dict(labels)
    return stats


def load_image_rgb(
    path: Path, size: int | tuple[int, int] | None = None, crop: str = "center"
) -> Image.Image:
    """Open an image upright as RGB; with ``size``, resize to cover it and centre-crop (for recipes)."""
    image = open_rgb(Path(path))
    if size is None:
        return image
    target = (size, size) if isinstance(size, int) else size
    import random

    return plan_geometry(image.size, target, crop, random.Random(0)).apply(image)
