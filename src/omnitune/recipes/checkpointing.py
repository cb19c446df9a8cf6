"""Checkpoint directories that are never half-written: `checkpoints/step-00000042/`.

A checkpoint is written into a hidden `.partial-…` directory and renamed into place only when
complete, so `latest_checkpoint` never returns a torn one (even after `kill -9`).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_STEP_DIR = re.compile(r"^step-(\d{8})$")


def checkpoint_name(step: int) -> str:
    """Directory name of the checkpoint taken after ``step`` optimiser steps."""
    return f"step-{step:08d}"


@contextmanager
def atomic_checkpoint_dir(checkpoints_dir: Path, step: int) -> Iterator[Path]:
    """Yield an empty directory to write into; publish it as `step-N` only if the block succeeds."""
    checkpoints_dir.mkdir(parents=True, exist_ok=True)
    final = checkpoints_dir / checkpoint_name(step)
    partial = checkpoints_dir / f".partial-{checkpoint_name(step)}-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        yield partial
        _fsync_tree(partial)
        if final.exists():
            shutil.rmtree(final)
        partial.rename(final)
        _fsync_dir(checkpoints_dir)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def list_checkpoints(checkpoints_dir: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints as (step, path), oldest first."""
    if not checkpoints_dir.is_dir():
        return []
    found = []
    for entry in checkpoints_dir.iterdir():
        match = _STEP_DIR.match(entry.name)
        if match and entry.is_dir():
            found.append((int(match.group(1)), entry))
    return sorted(found)


def latest_checkpoint(checkpoints_dir: Path) -> Path | None:
    """The most recent complete checkpoint, or None."""
    found = list_checkpoints(checkpoints_dir)
    return found[-1][1] if found else None


def prune_checkpoints(checkpoints_dir: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` complete checkpoints and any stale partial ones."""
    for _, path in list_checkpoints(checkpoints_dir)[:-keep] if keep > 0 else []:
        shutil.rmtree(path, ignore_errors=True)
    for stale in checkpoints_dir.glob(".partial-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
