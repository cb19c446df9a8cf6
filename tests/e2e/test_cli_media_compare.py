"""`omnitune models compare` on media versions: a tiny image LoRA and a tiny Wan image-to-video LoRA each
against their base, both sides with one seed; the files decode, comparison.json links them, latencies are
measured; the wrong pairings and a missing --out are refused with errors that name what is wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from media_versions import image_lora, register, video_lora
from typer.testing import CliRunner

from omnitune.cli.main import app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def _compare(*args: str, code: int = 0) -> str:
    result = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["models", "compare", *args])
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


def _read(out: Path, rows: int) -> dict[str, Any]:
    comparison = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert len(comparison["rows"]) == rows
    for row in comparison["rows"]:
        assert row["latency_a_s"] > 0 and row["latency_b_s"] > 0
        assert (out / row["file_a"]).is_file() and (out / row["file_b"]).is_file()
    return dict(comparison)


def test_compare_image_version_with_its_base(tmp_path: Path) -> None:
    from PIL import Image

    version = register(image_lora(tmp_path / "image"), "stripes")
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a striped pattern\nstripes at dusk\n", encoding="utf-8")
    out = tmp_path / "cmp"
    printed = _compare(version.ref, "base", "--prompts", str(prompts), "--out", str(out), "--seed", "3")
    comparison = _read(out, 2)
    assert comparison["kind"] == "image" and comparison["media_type"] == "image/png"
    assert comparison["model_a"] == "stripes:v1" and comparison["model_b"] == version.base_model
    first = comparison["rows"][0]
    assert first["prompt"] == "a striped pattern" and first["seed"] == 3
    pixels = {}
    for side in ("a", "b"):
        with Image.open(out / first[f"file_{side}"]) as image:
            assert image.format == "PNG" and image.size[0] >= 8
            pixels[side] = np.asarray(image.convert("RGB"))
        assert str(out / first[f"file_{side}"]) in printed  # the table shows both files' paths
    assert not np.array_equal(pixels["a"], pixels["b"])  # the LoRA changed what it draws

    rate = CliRunner().invoke(app, ["models", "rate", str(out / "comparison.json"), "--out", str(tmp_path)])
    assert rate.exit_code == 1 and "compares media files" in rate.output
    missing = _compare(version.ref, "base", "--prompts", str(prompts), code=1)
    assert "--out" in missing and "directory" in missing
    assert "--out" in _compare(version.ref, "base", "--prompts", str(prompts), "--out", "c.json", code=1)
    language = tmp_path / "some-lm"
    language.mkdir()
    refused = _compare(version.ref, str(language), "--prompts", str(prompts), "--out", str(out), code=1)
    assert "text-to-image model" in refused and "language model" in refused
    backwards = _compare(str(language), version.ref, "--prompts", str(prompts), code=1)
    assert "language model" in backwards and "text-to-image model" in backwards


def test_compare_image_to_video_version_with_its_base(tmp_path: Path) -> None:
    import av
    from PIL import Image

    version = register(video_lora(tmp_path / "video"), "clips")
    stills = register(image_lora(tmp_path / "image"), "stripes")
    prompts = tmp_path / "prompts.jsonl"
    rows = [{"prompt": "a clip in colour 0"}, {"text": "a clip in colour 3"}]
    prompts.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "cmp"
    printed = _compare(version.ref, "base", "--prompts", str(prompts), "--out", str(out), "--json")
    comparison = _read(out, 2)
    assert json.loads(printed)["rows"] == comparison["rows"]
    assert comparison["kind"] == "video" and comparison["media_type"] == "video/mp4"
    clips = {}
    for side in ("a", "b"):
        with av.open(str(out / comparison["rows"][1][f"file_{side}"])) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        assert len(frames) == 9 and frames[0].shape == (16, 16, 3)
        clips[side] = np.stack(frames)
        details = comparison["rows"][1][f"details_{side}"]
        assert details["frames"] == 9 and details["first_frame"].startswith("held-out clip videos/3/")
    assert not np.array_equal(clips["a"], clips["b"])

    still = tmp_path / "first.png"
    Image.new("RGB", (24, 24), (250, 250, 250)).save(still)
    _compare(
        version.ref, "base", "--prompts", str(prompts), "--out", str(tmp_path / "own"), "--image", str(still)
    )
    own = _read(tmp_path / "own", 2)
    assert own["rows"][0]["details_a"]["first_frame"] == "uploaded"
    mixed = _compare(version.ref, stills.ref, "--prompts", str(prompts), "--out", str(out), code=1)
    assert "video model" in mixed and "text-to-image model" in mixed
