"""Find the images of a dataset folder and what goes with each: caption, label, control image, mask."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnitune.data.media_metadata import (
    FILE_COLUMNS,
    TEXT_COLUMNS,
    MediaLayout,
    MetadataRow,
    MetadataTable,
    file_column,
    fill_layout,
    label_by_folder,
    text_value,
)
from omnitune.data.media_output import read_sidecar, relative
from omnitune.data.report import Problem

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
CONDITIONING_DIRS = ("conditioning", "conditioning_images", "control", "controls")
MASK_DIRS = ("masks", "mask")
CLASS_DIRS = ("class_images", "class", "regularization", "regularisation", "reg")
SPECIAL_DIRS = frozenset(CONDITIONING_DIRS + MASK_DIRS + CLASS_DIRS)
CAPTION_EXTENSIONS = (".txt", ".caption")


@dataclass
class ImageItem:
    """One training image and what belongs to it."""

    path: Path
    rel: str
    caption: str | None = None
    label: str | None = None
    conditioning: Path | None = None
    mask: Path | None = None
    is_class_image: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # other metadata columns, e.g. question/answer


@dataclass
class ImageLayout(MediaLayout[ImageItem]):
    """What discovery found: the format with evidence, the items, and located problems."""

    format: str = "imagefolder"


def is_image(path: Path) -> bool:
    """True for a visible file with an image extension."""
    return path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS and not path.name.startswith(".")


def list_images(folder: Path, skip_special: bool = True) -> list[Path]:
    """Image files under ``folder`` (sorted), skipping hidden folders and, optionally, special ones."""
    found = []
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") for p in parts):
            continue
        if skip_special and len(parts) > 1 and parts[0].lower() in SPECIAL_DIRS:
            continue
        if is_image(path):
            found.append(path)
    return found


def discover_images(path: Path) -> ImageLayout:
    """Work out the layout of an image dataset at ``path`` (a folder, an image, or a metadata file)."""
    if path.is_file() and is_image(path):
        layout = ImageLayout(path.parent, evidence=["a single image file"])
        layout.items.append(ImageItem(path, path.name))
        return layout
    root = path.parent if path.is_file() else path
    layout = ImageLayout(root)
    if not fill_layout(path, layout, "image", _from_metadata, _from_folder):
        return layout
    _pair_special(layout)
    return layout


def _from_metadata(layout: ImageLayout, table: MetadataTable) -> None:
    name = table.path.name
    file_col = file_column(table, layout.problems, f"name the image column one of {', '.join(FILE_COLUMNS)}")
    if file_col is None:
        return
    layout.format = "imagefolder-metadata"
    layout.evidence.append(f"{name} with file column '{file_col}'")
    text_col = table.column(TEXT_COLUMNS)
    label_col = table.column(("label", "class", "category"))
    cond_col = table.column(("conditioning_file_name", "conditioning_image", "conditioning", "control"))
    mask_col = table.column(("mask_file_name", "mask"))
    for row in table.rows:
        rel = text_value(row.values.get(file_col))
        if not rel:
            layout.problems.append(row.problem(name, file_col, "empty file name", "fill in the image path"))
            continue
        image = layout.root / rel
        if not is_image(image):
            what = "does not exist" if not image.exists() else "is not an image file"
            layout.problems.append(
                row.problem(
                    name,
                    file_col,
                    f"{rel} {what}",
                    "fix the path (relative to the metadata file) or drop the row",
                )
            )
            continue
        item = ImageItem(image, rel, caption=text_value(row.values.get(text_col)) if text_col else None)
        item.label = text_value(row.values.get(label_col)) if label_col else None
        used = {file_col, text_col, label_col, cond_col, mask_col}
        item.extra = {
            k: v for k, v in row.values.items() if k not in used and isinstance(v, str | int | float | bool)
        }
        pairs = ((cond_col, "conditioning"), (mask_col, "mask"))
        pairs_ok = [_metadata_pair(layout, row, name, col, item, attr) for col, attr in pairs]
        if all(pairs_ok):  # a row whose control image or mask is missing would train on the wrong pair
            layout.items.append(item)
    listed = {p.resolve() for i in layout.items for p in (i.path, i.conditioning, i.mask) if p is not None}
    for image in list_images(layout.root):
        if image.resolve() not in listed:
            layout.problems.append(
                Problem(
                    file=relative(image, layout.root),
                    message=f"not listed in {name}",
                    hint="add a row for it or move it out",
                    severity="warning",
                )
            )


def _metadata_pair(
    layout: ImageLayout, row: MetadataRow, name: str, column: str | None, item: ImageItem, attr: str
) -> bool:
    value = text_value(row.values.get(column)) if column else None
    if not value:
        return True
    target = layout.root / value
    if is_image(target):
        setattr(item, attr, target)
        return True
    message = f"{value} does not exist or is not an image"
    layout.problems.append(row.problem(name, column, message, f"fix the {attr} image path"))
    return False


def _from_folder(layout: ImageLayout) -> None:
    root = layout.root
    images = list_images(root)
    captions = 0
    for image in images:
        item = ImageItem(image, relative(image, root))
        item.caption = _sidecar_caption(layout, image)
        captions += item.caption is not None
        layout.items.append(item)
    if captions:
        layout.format = "imagefolder-captions"
        layout.evidence.append(f"{captions} of {len(images)} images have a same-name .txt caption")
    elif not label_by_folder(layout, "images", "imagefolder-classes"):
        layout.evidence.append(f"{len(images)} images without captions")
    _orphan_captions(layout, images)


def _sidecar_caption(layout: ImageLayout, image: Path) -> str | None:
    for ext in CAPTION_EXTENSIONS:
        sidecar = image.with_suffix(ext)
        if sidecar.is_file():
            return read_sidecar(sidecar, layout.root, layout.problems, "caption", "caption")
    return None


def _orphan_captions(layout: ImageLayout, images: list[Path]) -> None:
    stems = {i.with_suffix("") for i in images}
    for sidecar in sorted(layout.root.rglob("*.txt")):
        parts = sidecar.relative_to(layout.root).parts
        if any(p.startswith(".") for p in parts) or (len(parts) > 1 and parts[0].lower() in SPECIAL_DIRS):
            continue
        if sidecar.with_suffix("") not in stems and sidecar.stem.lower() not in {"readme", "license"}:
            layout.problems.append(
                Problem(
                    file=relative(sidecar, layout.root),
                    field="caption",
                    message="caption file without a matching image",
                    hint="rename it to match its image or remove it",
                    severity="warning",
                )
            )


def _special_dir(root: Path, names: tuple[str, ...]) -> Path | None:
    return next((root / n for n in names if (root / n).is_dir()), None)


def _pair_special(layout: ImageLayout) -> None:
    root = layout.root
    for names, attr, fmt in (
        (CONDITIONING_DIRS, "conditioning", "controlnet"),
        (MASK_DIRS, "mask", "inpainting"),
    ):
        folder = _special_dir(root, names)
        if folder is None:
            continue
        by_stem = {p.relative_to(folder).with_suffix("").as_posix(): p for p in list_images(folder, False)}
        layout.format = fmt
        layout.evidence.append(f"{folder.name}/ holds {len(by_stem)} {attr} images paired by file name")
        for item in layout.items:
            if getattr(item, attr) is None:
                setattr(item, attr, by_stem.get(Path(item.rel).with_suffix("").as_posix()))
    _add_class_images(layout)


def _add_class_images(layout: ImageLayout) -> None:
    folder = _special_dir(layout.root, CLASS_DIRS)
    if folder is None:
        return
    images = list_images(folder, False)
    layout.format = "dreambooth"
    layout.evidence.append(f"{folder.name}/ holds {len(images)} class (prior-preservation) images")
    for image in images:
        item = ImageItem(image, relative(image, layout.root), is_class_image=True)
        item.caption = _sidecar_caption(layout, image)
        layout.items.append(item)
