"""Check every image of a dataset (and its control image or mask) and collect located problems."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from omnitune.data.image_checks import ImageCheck, probe_image
from omnitune.data.image_sources import ImageItem, ImageLayout, discover_images
from omnitune.data.media_metadata import MediaAssessment
from omnitune.data.report import Problem


@dataclass
class ImageAssessment(MediaAssessment[ImageLayout, ImageCheck, ImageItem]):
    """Discovery plus per-image checks: the items that survive and every problem found."""


def assess_images(path: Path) -> ImageAssessment:
    """Discover the layout at ``path`` and check every image, control image and mask in it."""
    layout = discover_images(Path(path))
    result = ImageAssessment(layout, problems=list(layout.problems))
    needs_pair = {
        a for a, fmt in (("conditioning", "controlnet"), ("mask", "inpainting")) if fmt in layout.format
    }
    needs_pair |= {a for a in ("conditioning", "mask") if any(getattr(i, a) for i in layout.items)}
    seen: dict[str, str] = {}
    for item in layout.items:
        check = probe_image(item.path)
        result.checks[item.rel] = check
        ok = _image_problems(result, item, check, seen)
        for attr in sorted(needs_pair):
            ok = _pair_problems(result, item, check, attr) and ok
        if ok:
            result.good.append(item)
    _caption_problems(result)
    return result


def _image_problems(
    result: ImageAssessment, item: ImageItem, check: ImageCheck, seen: dict[str, str]
) -> bool:
    add = result.problems.append
    if check.error:
        add(Problem(file=item.rel, field="image", message=check.error[0], hint=check.error[1]))
        return False
    for message, hint in check.warnings:
        add(Problem(file=item.rel, field="image", message=message, hint=hint, severity="warning"))
    if check.digest in seen:
        add(
            Problem(
                file=item.rel,
                field="image",
                message=f"same bytes as {seen[check.digest]}",
                hint="remove the duplicate so it does not count twice",
                severity="warning",
            )
        )
    seen.setdefault(check.digest, item.rel)
    return True


def _pair_problems(result: ImageAssessment, item: ImageItem, check: ImageCheck, attr: str) -> bool:
    if item.is_class_image:
        return True
    pair: Path | None = getattr(item, attr)
    folder = "conditioning" if attr == "conditioning" else "masks"
    if pair is None:
        result.problems.append(
            Problem(
                file=item.rel,
                field=attr,
                message=f"no {attr} image for this image",
                hint=f"add {folder}/{Path(item.rel).with_suffix('.png').as_posix()} or drop the image",
            )
        )
        return False
    pair_check = probe_image(pair)
    if pair_check.error:
        result.problems.append(
            Problem(
                file=item.rel,
                field=attr,
                message=f"{pair.name}: {pair_check.error[0]}",
                hint=pair_check.error[1],
            )
        )
        return False
    pair_size, size = (pair_check.width, pair_check.height), (check.width, check.height)
    if check.width and abs(pair_size[0] / pair_size[1] - size[0] / size[1]) > 0.01:
        result.problems.append(
            Problem(
                file=item.rel,
                field=attr,
                severity="warning",
                message=f"{attr} is {pair_size[0]}x{pair_size[1]}, image is {size[0]}x{size[1]}",
                hint="pairs are stretched to the image's size; re-export with the same aspect ratio",
            )
        )
    return True


def _caption_problems(result: ImageAssessment) -> None:
    layout = result.layout
    if layout.format == "imagefolder-classes":
        for label, count in Counter(i.label for i in result.good).items():
            if count < 2:
                result.problems.append(
                    Problem(
                        file=str(label),
                        field="label",
                        severity="warning",
                        message=f"class '{label}' has only {count} image",
                        hint="add more examples of this class",
                    )
                )
        return
    items = [i for i in result.good if not i.is_class_image]
    captioned = [i for i in items if i.caption and i.caption.strip()]
    if not captioned:
        if items:
            result.problems.append(
                Problem(
                    file=".",
                    field="caption",
                    severity="warning",
                    message="no image has a caption",
                    hint="add same-name .txt captions or metadata.jsonl, or use trigger_word= or a captioner",
                )
            )
        return
    for item in items:
        if item not in captioned:
            result.problems.append(
                Problem(
                    file=item.rel,
                    field="caption",
                    severity="warning",
                    message="missing or empty caption",
                    hint=f"write {Path(item.rel).with_suffix('.txt').as_posix()} or prepare with a captioner",
                )
            )
