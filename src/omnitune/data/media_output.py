"""Shared plumbing for prepared media datasets: staging, splits, hashing and the manifest.

A prepared directory is built in a hidden sibling (`.DIR.partial-PID`) and renamed into place
with manifest.json written last, so an interrupted run never leaves a directory that looks complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from omnitune.data.errors import DataError
from omnitune.data.manifest import MANIFEST_NAME, DatasetManifest, SplitInfo
from omnitune.data.report import InspectionReport, Problem
from omnitune.types import DataFamily, Modality

Record = dict[str, Any]


class MediaDataError(DataError):
    """A media dataset that cannot be prepared; carries the located problems that explain why."""

    def __init__(
        self, message: str, problems: Sequence[Problem] = (), report: InspectionReport | None = None
    ) -> None:
        self.problems = list(problems)
        lines = [message] + [f"  {p.located()}: {p.message} ({p.hint})" for p in self.problems[:20]]
        super().__init__("\n".join(lines), report)


def check_paths(source: Path, out_dir: Path) -> None:
    """Refuse a missing source or an output inside the source (the source is never modified)."""
    if not source.exists():
        raise MediaDataError(f"{source}: no such file or directory", [])
    src, out = source.resolve(), out_dir.resolve()
    if out == src or src in out.parents:
        raise MediaDataError(
            f"{out_dir}: the output directory is inside the source {source}; "
            "choose an --out outside it so the source stays untouched"
        )
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / MANIFEST_NAME).is_file():
        raise MediaDataError(
            f"{out_dir}: exists, is not empty and is not a prepared dataset; "
            "choose an empty or new --out directory"
        )


def check_options(
    *, validation_fraction: float, crop: str | None = None, size: tuple[int, int] | None = None
) -> None:
    """Refuse option values that would fail later in a library call, with the allowed range."""
    if not 0 <= validation_fraction < 1:
        raise MediaDataError(f"validation_fraction={validation_fraction}: expected 0 <= value < 1")
    if crop is not None and crop not in ("center", "random"):
        raise MediaDataError(f"crop={crop!r}: expected 'center' or 'random'")
    if size is not None and min(size) < 8:
        raise MediaDataError(f"resolution={size}: expected at least 8 pixels per side")


def as_size(resolution: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    """An int side or a (width, height) pair (JSON gives a list) as a (width, height) tuple."""
    if isinstance(resolution, int):
        return resolution, resolution
    width, height = (int(v) for v in resolution)
    return width, height


@contextmanager
def staged_output(out_dir: Path) -> Iterator[Path]:
    """Yield a fresh staging directory; publish it as ``out_dir`` only if the block succeeds."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        if not (staging / MANIFEST_NAME).is_file():
            raise RuntimeError(f"{staging}: manifest.json was not written")
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        if out_dir.exists():
            out_dir.rename(old)
        staging.rename(out_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def split_by_group(
    records: list[Record],
    fraction: float,
    seed: int,
    group: Callable[[Record], str],
    eligible: Callable[[Record], bool] = lambda r: True,
) -> tuple[list[Record], list[Record]]:
    """Deterministic train/validation split that keeps each group (e.g. one source file) together."""
    groups = sorted({group(r) for r in records if eligible(r)})
    random.Random(seed).shuffle(groups)
    n_val = 0
    if fraction > 0 and len(groups) >= 2:
        n_val = min(len(groups) - 1, max(1, round(len(groups) * fraction)))
    val_groups = set(groups[:n_val])
    train = [r for r in records if not (eligible(r) and group(r) in val_groups)]
    val = [r for r in records if eligible(r) and group(r) in val_groups]
    return train, val


def write_jsonl(path: Path, records: list[Record]) -> None:
    """Write one JSON object per line (UTF-8, keys in insertion order)."""
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def hash_tree(root: Path) -> str:
    """sha256 over every file's relative path and bytes, in sorted order (the lineage hash)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST_NAME):
        digest.update(path.relative_to(root).as_posix().encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def finish_prepared(
    staging: Path,
    train: list[Record],
    validation: list[Record],
    *,
    modality: Modality,
    family: DataFamily,
    source_format: str,
    source: Path,
    stats: dict[str, float | int | str],
) -> DatasetManifest:
    """Write the split JSONL files, then the manifest (last) into the staging directory."""
    splits = {"train": SplitInfo(file="train.jsonl", records=len(train))}
    write_jsonl(staging / "train.jsonl", train)
    if validation:
        write_jsonl(staging / "validation.jsonl", validation)
        splits["validation"] = SplitInfo(file="validation.jsonl", records=len(validation))
    manifest = DatasetManifest(
        modality=modality,
        family=family,
        source_format=source_format,
        source=str(source),
        content_hash=hash_tree(staging),
        splits=splits,
        stats=stats,
    )
    manifest.write(staging)
    return manifest


def read_text_file(path: Path) -> tuple[str | None, str | None]:
    """Read a UTF-8 (BOM tolerated) text file: (text, None) or (None, reason)."""
    try:
        return path.read_text(encoding="utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 (byte {exc.start})"
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or exc})"


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (POSIX style) for messages; the path itself if outside."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def read_sidecar(sidecar: Path, root: Path, problems: list[Problem], what: str, field: str) -> str | None:
    """The text of a UTF-8 sidecar file, or None with a located problem when it cannot be read."""
    text, reason = read_text_file(sidecar)
    if text is None:
        problems.append(
            Problem(
                file=relative(sidecar, root),
                field=field,
                message=f"{what} file {reason}",
                hint="save it as UTF-8",
            )
        )
    return text
