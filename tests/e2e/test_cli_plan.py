"""`omnitune plan` and `omnitune catalog` through the real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from omnitune.plan.schema import TrainingPlan

pytestmark = pytest.mark.e2e
OMNITUNE = [sys.executable, "-m", "omnitune"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process, offline."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "120"}
    return subprocess.run([*OMNITUNE, *args], capture_output=True, text=True, env=env, timeout=300)


def test_plan_json_is_a_valid_plan_and_cold_start_is_quick() -> None:
    started = time.perf_counter()
    out = run("plan", "DPO the chat model on chosen vs rejected answers", "--json", "--gpu", "a100-80gb")
    elapsed = time.perf_counter() - started
    assert out.returncode == 0, out.stderr
    plan = TrainingPlan.model_validate_json(out.stdout)
    assert plan.models[0].method.value == "dpo" and plan.training.gpu.type == "a100-80gb"
    assert elapsed < 30  # target < 8 s on an idle machine; shared CI runners get slack


def test_plan_renders_for_people_and_flags_vague_requests() -> None:
    out = run("plan", "improve it")
    assert out.returncode == 0 and "Questions" in out.stdout and "not feasible" in out.stdout
    out = run("plan", "teach SDXL my cat so I can put her in any scene", "--preset", "maximum_speed")
    assert out.returncode == 0 and "sdxl-base-1.0" in out.stdout and "dreambooth" in out.stdout


def test_batch_writes_one_plan_per_line_in_order(tmp_path: Path) -> None:
    texts = [
        "sentiment classifier for app store reviews",
        "make it better",
        "generate orchestral film-score music",
    ]
    batch = tmp_path / "in.jsonl"
    batch.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    out = run("plan", "--batch", str(batch), "--json")
    assert out.returncode == 0, out.stderr
    plans = [TrainingPlan.model_validate_json(line) for line in out.stdout.splitlines()]
    assert [p.request for p in plans] == texts
    assert plans[1].capabilities.modality is None and plans[2].capabilities.modality.value == "audio"


def test_bad_options_are_errors_for_people() -> None:
    out = run("plan", "fine-tune a chatbot", "--gpu", "voodoo-5")
    assert out.returncode == 2 and "unknown GPU" in out.stdout


def test_catalog_list_and_show() -> None:
    out = run("catalog", "list", "--modality", "audio", "--json")
    ids = {m["id"] for m in json.loads(out.stdout)}
    assert "musicgen-small" in ids and "llama-3.1-8b-instruct" not in ids
    shown = json.loads(run("catalog", "show", "openai/whisper-small").stdout)
    assert shown["id"] == "whisper-small" and shown["recipe"] == "speech_recognition"
    assert run("catalog", "show", "nope").returncode == 2
