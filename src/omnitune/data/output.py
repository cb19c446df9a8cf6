"""Writing a prepared dataset so that a half-written one never looks complete."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from omnitune.data.errors import DataError
from omnitune.data.manifest import MANIFEST_NAME, DatasetManifest


def write_jsonl(path: Path, records: Iterable[dict[str, Any]], digest: Any) -> int:
    """Write records as JSON Lines, feeding each line to ``digest``; returns the count."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            line = json.dumps(record, ensure_ascii=False) + "\n"
            handle.write(line)
            digest.update(line.encode("utf-8"))
            count += 1
    return count


def _check_target(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        if not overwrite:
            raise DataError(
                f"{out_dir} already exists and is not empty; choose another --out or pass --overwrite"
            )
        if out_dir.is_dir() and not (out_dir / MANIFEST_NAME).is_file():
            raise DataError(
                f"{out_dir} is not a prepared dataset (no {MANIFEST_NAME}); refusing to replace it"
            )


def write_atomically(
    out_dir: Path, fill: Callable[[Path], DatasetManifest], overwrite: bool = False
) -> DatasetManifest:
    """Let ``fill`` write into a fresh temp folder, add the manifest last, then move it into place."""
    out_dir = Path(out_dir)
    _check_target(out_dir, overwrite)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the result should be an ordinary folder
    try:
        manifest = fill(tmp)
        manifest.write(tmp)
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{tmp.name[-8:]}")
            out_dir.rename(old)
            tmp.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def new_digest() -> Any:
    """The content hash used for lineage (sha256 over the written JSONL lines, train then validation)."""
    return hashlib.sha256()
