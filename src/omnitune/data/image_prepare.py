"""`prepare_images`: upright RGB, resized and cropped (or bucketed), captions composed, split, manifest."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

from PIL import Image

from omnitune.data.image_assess import assess_images
from omnitune.data.image_buckets import Geometry, make_buckets, plan_geometry, target_size
from omnitune.data.image_captions import (
    Captioner,
    CaptionFn,
    auto_caption,
    clean_caption,
    compose_caption,
    load_captioner,
)
from omnitune.data.image_checks import open_mask, open_rgb, save_png
from omnitune.data.image_sources import ImageItem
from omnitune.data.manifest import DatasetManifest
from omnitune.data.media_output import (
    MediaDataError,
    Record,
    check_options,
    check_paths,
    finish_prepared,
    split_by_group,
    staged_output,
)
from omnitune.types import DataFamily, Modality

CAPTION_CHUNK = 16


def prepare_images(
    path: Path,
    out_dir: Path,
    *,
    resolution: int = 512,
    crop: str = "center",
    buckets: bool = False,
    flip: bool = False,
    trigger_word: str | None = None,
    caption_prefix: str = "",
    caption_suffix: str = "",
    class_prompt: str | None = None,
    validation_fraction: float = 0.1,
    seed: int = 42,
    captioner: str | Captioner | CaptionFn | None = None,
) -> DatasetManifest:
    """Convert an image dataset into `images/*.png` + `train.jsonl`/`validation.jsonl` + manifest."""
    path, out_dir = Path(path), Path(out_dir)
    check_options(validation_fraction=validation_fraction, crop=crop, size=(resolution, resolution))
    check_paths(path, out_dir)
    result = assess_images(path)
    if not result.good:
        errors = [p for p in result.problems if p.severity == "error"]
        raise MediaDataError(f"{path}: no usable images", errors)
    items = result.good
    auto = _auto_captions(items, captioner, result.layout.format)
    bucket_list = make_buckets(resolution) if buckets else None
    rng = random.Random(seed)
    with staged_output(out_dir) as staging:
        for folder in ("images", "conditioning", "masks"):
            (staging / folder).mkdir()
        records = []
        for index, item in enumerate(items):
            caption = _caption(
                item, auto.get(item.rel), trigger_word, caption_prefix, caption_suffix, class_prompt
            )
            records.append(_write_item(staging, index, item, caption, resolution, crop, bucket_list, rng))
        train, validation = split_by_group(
            records, validation_fraction, seed, group=lambda r: r["file_name"], eligible=_is_instance
        )
        if flip:
            train += [_write_flipped(staging, r) for r in list(train)]
        for folder in ("conditioning", "masks"):
            if not any((staging / folder).iterdir()):
                (staging / folder).rmdir()
        stats = _stats(records, train, validation, result.candidates, resolution, crop, len(auto))
        return finish_prepared(
            staging,
            train,
            validation,
            modality=Modality.IMAGE,
            family=DataFamily.IMAGE,
            source_format=result.layout.format,
            source=path,
            stats=stats,
        )


def _is_instance(record: Record) -> bool:
    return not record.get("is_class_image", False)


def _auto_captions(
    items: list[ImageItem], captioner: str | Captioner | CaptionFn | None, layout_format: str
) -> dict[str, str]:
    """Captions from the model for the items that have none (classification data needs none)."""
    missing = [i for i in items if not (i.caption and i.caption.strip())]
    if captioner is None or not missing or layout_format == "imagefolder-classes":
        return {}
    model = load_captioner(captioner) if isinstance(captioner, str) else captioner
    captions: dict[str, str] = {}
    for start in range(0, len(missing), CAPTION_CHUNK):  # a chunk at a time keeps memory flat
        chunk = missing[start : start + CAPTION_CHUNK]
        captions.update(
            zip([i.rel for i in chunk], auto_caption([open_rgb(i.path) for i in chunk], model), strict=True)
        )
    return captions


def _caption(
    item: ImageItem,
    auto: str | None,
    trigger_word: str | None,
    prefix: str,
    suffix: str,
    class_prompt: str | None,
) -> str:
    raw = item.caption if item.caption and item.caption.strip() else auto or ""
    if item.is_class_image:
        return clean_caption(raw or class_prompt or "")
    if not raw and item.label is not None:
        raw = item.label
    return compose_caption(raw, trigger_word=trigger_word, prefix=prefix, suffix=suffix)


def _write_item(
    staging: Path,
    index: int,
    item: ImageItem,
    caption: str,
    resolution: int,
    crop: str,
    buckets: list[tuple[int, int]] | None,
    rng: random.Random,
) -> Record:
    image = open_rgb(item.path)
    geometry = plan_geometry(image.size, target_size(image.size, resolution, buckets), crop, rng)
    name = f"{index:05d}.png"
    save_png(geometry.apply(image), staging / "images" / name)
    record: dict[str, Any] = {**item.extra, "file_name": f"images/{name}", "text": caption}
    if item.conditioning is not None:
        _save_pair(open_rgb(item.conditioning), image.size, geometry, staging / "conditioning" / name)
        record["conditioning_file_name"] = f"conditioning/{name}"
    if item.mask is not None:
        _save_pair(
            open_mask(item.mask), image.size, geometry, staging / "masks" / name, Image.Resampling.NEAREST
        )
        record["mask_file_name"] = f"masks/{name}"
    if item.label is not None:
        record["label"] = item.label
    record["is_class_image"] = item.is_class_image
    record["width"], record["height"] = geometry.box[2] - geometry.box[0], geometry.box[3] - geometry.box[1]
    record["source"] = item.rel
    return record


def _save_pair(
    pair: Image.Image,
    size: tuple[int, int],
    geometry: Geometry,
    target: Path,
    resample: Image.Resampling = Image.Resampling.LANCZOS,
) -> None:
    """Control images and masks get the image's own geometry (after matching its size), pixel for pixel."""
    if pair.size != size:
        pair = pair.resize(size, resample)
    save_png(geometry.apply(pair, resample), target)


def _write_flipped(staging: Path, record: Record) -> Record:
    flipped = dict(record, flipped=True)
    for key in ("file_name", "conditioning_file_name", "mask_file_name"):
        if key in record:
            source = staging / record[key]
            target = source.with_name(source.stem + "_flip.png")
            with Image.open(source) as image:
                save_png(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), target)
            flipped[key] = target.relative_to(staging).as_posix()
    return flipped


def _stats(
    records: list[Record],
    train: list[Record],
    validation: list[Record],
    candidates: int,
    resolution: int,
    crop: str,
    auto_captioned: int,
) -> dict[str, float | int | str]:
    stats: dict[str, float | int | str] = {
        "images": len(records),
        "dropped": candidates - len(records),
        "train": len(train),
        "validation": len(validation),
        "flipped_copies": sum(bool(r.get("flipped")) for r in train),
        "resolution": resolution,
        "crop": crop,
        "auto_captioned": auto_captioned,
        "uncaptioned": sum(not r["text"] for r in records),
        "class_images": sum(bool(r["is_class_image"]) for r in records),
    }
    for size, count in Counter(f"{r['width']}x{r['height']}" for r in records).most_common():
        stats[f"bucket_{size}"] = count
    return stats
