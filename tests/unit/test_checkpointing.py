"""Checkpoint directories appear only when complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnitune.recipes.checkpointing import (
    atomic_checkpoint_dir,
    latest_checkpoint,
    list_checkpoints,
    prune_checkpoints,
)


def test_a_failed_write_never_becomes_the_latest(tmp_path: Path) -> None:
    with atomic_checkpoint_dir(tmp_path, 2) as d:
        (d / "state.bin").write_bytes(b"ok")
    with pytest.raises(RuntimeError), atomic_checkpoint_dir(tmp_path, 4) as d:
        (d / "state.bin").write_bytes(b"half")
        raise RuntimeError("killed mid-write")
    latest = latest_checkpoint(tmp_path)
    assert latest is not None and latest.name == "step-00000002"
    assert (latest / "state.bin").read_bytes() == b"ok"
    assert not list(tmp_path.glob(".partial-*"))


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    for step in (1, 2, 3):
        with atomic_checkpoint_dir(tmp_path, step) as d:
            (d / "x").write_text(str(step))
    prune_checkpoints(tmp_path, keep=2)
    assert [s for s, _ in list_checkpoints(tmp_path)] == [2, 3]
