"""`omnitune data inspect|prepare` through the CLI: exit codes, JSON problems, plans, atomic output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from omnitune.cli.main import app
from omnitune.plan.schema import Capabilities, ModelChoice, Quality, TrainingPlan
from omnitune.types import Method, Modality

pytestmark = pytest.mark.e2e
runner = CliRunner()


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


PAIRS = [
    {"prompt": f"Question {i}?", "chosen": f"A careful answer {i}.", "rejected": f"No. {i}"}
    for i in range(12)
]


def test_inspect_reports_format_and_exits_zero_when_usable(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", PAIRS)
    result = runner.invoke(app, ["data", "inspect", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        "preference" in result.output and "Verdict usable" in result.output and "Example 1" in result.output
    )


def test_inspect_json_lists_located_problems_and_exits_one_when_unusable(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{oops\n{"text": ""}\n')
    result = runner.invoke(app, ["data", "inspect", str(path), "--json"])
    report = json.loads(result.output)
    problems = report["problems"]
    assert [(p["line"], p["field"]) for p in problems] == [(2, None), (3, "text")]
    assert all({"file", "line", "row", "field", "message", "hint"} <= set(p) for p in problems)
    assert problems[1]["message"] == "missing or empty 'text'" and problems[1]["hint"]
    assert result.exit_code == 0 and report["usable"]  # one good record survives
    path.write_bytes(b"{oops\n")
    assert runner.invoke(app, ["data", "inspect", str(path), "--json"]).exit_code == 1


def test_inspect_with_column_map(tmp_path: Path) -> None:
    path = tmp_path / "qa.csv"
    path.write_text("question,answer\nWhy?,Because.\n")
    assert runner.invoke(app, ["data", "inspect", str(path)]).exit_code == 1
    mapped = runner.invoke(app, ["data", "inspect", str(path), "--map", "question=prompt", "--map",
                                 "answer=completion", "--json"])  # fmt: skip
    assert mapped.exit_code == 0 and json.loads(mapped.output)["format"] == "prompt_completion"
    bad = runner.invoke(app, ["data", "inspect", str(path), "--map", "question"])
    assert bad.exit_code == 2 and "COLUMN=FIELD" in bad.output


def test_prepare_with_plan_takes_family_and_context_length(tmp_path: Path) -> None:
    plan = TrainingPlan(
        capabilities=Capabilities(modality=Modality.LLM, quality=Quality(context_length=64)),
        models=[ModelChoice(role="assistant", base_model="omnitune/tiny-llama", method=Method.KTO,
                            recipe="llm_preference")],
    )  # fmt: skip
    (tmp_path / "plan.json").write_text(plan.to_json())
    source = write_jsonl(tmp_path / "p.jsonl", PAIRS)
    out = tmp_path / "out"
    result = runner.invoke(app, ["data", "prepare", str(source), "--out", str(out), "--plan",
                                 str(tmp_path / "plan.json"), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.output)
    assert manifest["family"] == "unpaired_preference" and manifest["stats"]["max_len"] == 64
    assert sum(s["records"] for s in manifest["splits"].values()) == 24
    first = json.loads((out / "train.jsonl").read_text().splitlines()[0])
    assert set(first) == {"prompt", "completion", "label"}


def test_prepare_failure_exits_one_and_leaves_no_output(tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    source.write_text('{"messages": [{"role": "assistant", "content": "hi"}]}\n{"text": 1}\n')
    out = tmp_path / "out"
    result = runner.invoke(app, ["data", "prepare", str(source), "--out", str(out)])
    assert result.exit_code == 1 and "Cannot prepare" in result.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]
    good = write_jsonl(tmp_path / "g.jsonl", PAIRS + PAIRS[:2])
    result = runner.invoke(app, ["data", "prepare", str(good), "--out", str(out), "--fix", "drop,dedupe",
                                 "--family", "chat", "--min-tokens", "3", "--quality-filter"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Prepared" in result.output and (out / "manifest.json").is_file()
    unknown = runner.invoke(
        app, ["data", "prepare", str(good), "--out", str(tmp_path / "o2"), "--fix", "magic"]
    )
    assert unknown.exit_code == 1 and "unknown --fix" in unknown.output


def test_cli_subprocess_prints_no_traceback_on_garbage(tmp_path: Path) -> None:
    path = tmp_path / "junk.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    out = subprocess.run([sys.executable, "-m", "omnitune", "data", "inspect", str(path)],
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert out.returncode == 1
    assert "Traceback" not in out.stdout + out.stderr and "UTF-8" in out.stdout


def test_prepare_dispatches_images_with_the_plans_resolution(tmp_path: Path) -> None:
    from PIL import Image

    source = tmp_path / "photos"
    source.mkdir()
    for i in range(3):
        Image.new("RGB", (96, 80), (60 * i, 90, 40)).save(source / f"p{i}.png")
        (source / f"p{i}.txt").write_text(f"a photo {i}")
    plan = TrainingPlan(
        capabilities=Capabilities(modality=Modality.IMAGE, quality=Quality(resolution="64x64")),
        models=[ModelChoice(role="gen", base_model="x", method=Method.LORA, recipe="image_lora")],
    )
    (tmp_path / "plan.json").write_text(plan.to_json())
    inspected = runner.invoke(app, ["data", "inspect", str(source), "--json"])
    assert inspected.exit_code == 0 and json.loads(inspected.output)["modality"] == "image"
    out = tmp_path / "out"
    result = runner.invoke(app, ["data", "prepare", str(source), "--out", str(out), "--plan",
                                 str(tmp_path / "plan.json"), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["modality"] == "image"
    first = json.loads((out / "train.jsonl").read_text().splitlines()[0])
    assert Image.open(out / first["file_name"]).size == (64, 64)
