"""`omnitune train` with NO --set: the planner alone makes a tiny from-scratch chat model learn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from omnitune.demo.datasets import write_support_chat

pytestmark = pytest.mark.e2e
CHAT = "a chat assistant that answers our customer support questions"


@pytest.mark.slow
def test_the_plan_alone_trains_a_tiny_chat_model_well(tmp_path: Path, omnitune_home: Path) -> None:
    data = write_support_chat(tmp_path / "support.jsonl")
    env = {**os.environ, "OMNITUNE_HOME": str(omnitune_home), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "omnitune", "train", CHAT, "--data", str(data),
         "--base-model", "omnitune/tiny-llama", "--max-steps", "40", "--json"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    metrics = summary["metrics"]
    assert summary["state"] == "succeeded"
    assert metrics["eval_loss_after"] < 0.5 * metrics["eval_loss_before"], metrics
