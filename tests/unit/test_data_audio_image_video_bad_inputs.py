"""Bad input never raises from inspect, and prepare fails with a located DataError, for every media kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnitune.data.audio import inspect_audio, prepare_audio
from omnitune.data.errors import DataError
from omnitune.data.image import inspect_images, prepare_images
from omnitune.data.video import inspect_videos, prepare_videos

INSPECTORS = (inspect_images, inspect_audio, inspect_videos)
PREPARERS = (prepare_images, prepare_audio, prepare_videos)


@pytest.fixture
def junk(tmp_path: Path) -> Path:
    root = tmp_path / "junk"
    root.mkdir()
    (root / "notes.txt").write_text("hello", encoding="utf-8")
    (root / "metadata.jsonl").write_bytes(b"\xff\xfe\x00 not utf-8")
    for name in ("img.png", "a.wav", "v.mp4"):
        (root / name).write_bytes(b"")
    (root / "loop").symlink_to(root)
    return root


@pytest.mark.parametrize("inspect", INSPECTORS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "target", [".", "notes.txt", "metadata.jsonl", "img.png", "a.wav", "v.mp4", "missing"]
)
def test_inspect_reports_instead_of_raising(inspect, target: str, junk: Path) -> None:
    report = inspect(junk / target)
    assert not report.usable and report.problems
    assert all(p.file and p.message and p.hint for p in report.problems)


@pytest.mark.parametrize("prepare", PREPARERS, ids=lambda f: f.__name__)
def test_prepare_raises_a_located_data_error(prepare, junk: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        prepare(junk, tmp_path / "out")
    assert "metadata.jsonl" in str(info.value) and info.value.problems
    assert not (tmp_path / "out").exists()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(DataError, match="not empty"):
        prepare(junk, busy)
    assert (busy / "mine.txt").read_text(encoding="utf-8") == "keep me"


def test_preparing_again_replaces_a_prepared_directory_atomically(tmp_path: Path) -> None:
    from PIL import Image

    from omnitune.data.manifest import DatasetManifest

    source = tmp_path / "src"
    source.mkdir()
    Image.new("RGB", (40, 40), (9, 9, 9)).save(source / "a.png")
    out = tmp_path / "out"
    first = prepare_images(source, out, resolution=32)
    Image.new("RGB", (40, 40), (90, 9, 9)).save(source / "b.png")
    second = prepare_images(source, out, resolution=32)
    assert second.content_hash != first.content_hash
    assert DatasetManifest.read(out).content_hash == second.content_hash
    assert not list(tmp_path.glob(".out*"))


@pytest.mark.parametrize(
    ("prepare", "options", "message"),
    [
        (prepare_images, {"crop": "middle"}, "crop"),
        (prepare_images, {"validation_fraction": 1.5}, "validation_fraction"),
        (prepare_audio, {"channels": 6}, "channels"),
        (prepare_audio, {"normalise": "rms"}, "normalise"),
        (prepare_videos, {"resolution": [4, 64]}, "resolution"),
        (prepare_videos, {"fps": 0}, "fps"),
    ],
)
def test_bad_options_are_refused_before_any_work(
    prepare, options, message: str, junk: Path, tmp_path: Path
) -> None:
    with pytest.raises(DataError, match=message):
        prepare(junk, tmp_path / "out", **options)
    assert not (tmp_path / "out").exists()
