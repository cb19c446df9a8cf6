"""`omnitune pipelines`: list an empty home, refuse a stage without data, name the singing limit."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from omnitune.cli.main import app

runner = CliRunner()


def test_list_is_empty_and_run_names_the_stage_missing_data(tmp_path: Path) -> None:
    listed = runner.invoke(app, ["pipelines", "list", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output) == []
    music = tmp_path / "music"
    music.mkdir()
    result = runner.invoke(
        app,
        [
            "pipelines",
            "run",
            "songs with vocals like Suno",
            "--data",
            f"music={music}",
            "--base-model",
            "music_generator=omnitune/tiny-musicgen",
            "--base-model",
            "vocal_synthesizer=omnitune/tiny-speecht5",
        ],
    )
    assert result.exit_code == 1
    assert "vocals" in result.output and "--data vocals=PATH" in result.output


def test_bad_pair_and_unknown_pipeline_are_one_line_errors() -> None:
    bad = runner.invoke(app, ["pipelines", "run", "songs with vocals", "--data", "nopath"])
    assert bad.exit_code == 1 and "ROLE=VALUE" in bad.output
    missing = runner.invoke(app, ["pipelines", "show", "nope"])
    assert missing.exit_code != 0
