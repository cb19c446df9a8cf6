"""`omnitune train` end to end through the real CLI: plan → prepare → worker → registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from omnitune.demo.datasets import write_support_chat

pytestmark = pytest.mark.e2e


def _omnitune(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMNITUNE_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "omnitune", *args], capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.mark.slow
def test_train_from_english_registers_a_model_whose_loss_fell(tmp_path: Path, omnitune_home: Path) -> None:
    data = write_support_chat(tmp_path / "support.jsonl")
    result = _omnitune(
        "train", "a chat assistant that answers our customer support questions", "--data", str(data),
        "--base-model", "omnitune/tiny-llama", "--method", "full_finetune", "--max-steps", "12",
        "--set", "seq_len=96", "--set", "batch_size=4", "--set", "gradient_accumulation=1",
        "--set", "learning_rate=3e-3", "--set", "gradient_checkpointing=false", "--json",
        home=omnitune_home,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["state"] == "succeeded"
    assert summary["model_version"]
    metrics = summary["metrics"]
    assert metrics["eval_loss_after"] < metrics["eval_loss_before"]
    assert metrics["final_loss"] < metrics["initial_loss"]
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(summary["artefact_path"])
    listed = json.loads(_omnitune("models", "list", "--json", home=omnitune_home).stdout)
    assert [f"{v['name']}:v{v['version']}" for v in listed] == [summary["model_version"]]


def test_train_refuses_a_vague_request_with_questions(tmp_path: Path, omnitune_home: Path) -> None:
    data = write_support_chat(tmp_path / "support.jsonl")
    result = _omnitune("train", "improve it", "--data", str(data), home=omnitune_home)
    assert result.returncode == 1
    assert "names no model to train" in result.stderr


def test_train_names_a_missing_data_path(tmp_path: Path, omnitune_home: Path) -> None:
    result = _omnitune("train", "chat model", "--data", str(tmp_path / "nope.jsonl"), home=omnitune_home)
    assert result.returncode == 1
    assert "nope.jsonl" in result.stderr


def test_train_names_a_bad_set_override(tmp_path: Path, omnitune_home: Path) -> None:
    data = write_support_chat(tmp_path / "support.jsonl")
    result = _omnitune("train", "a support chat model", "--data", str(data), "--base-model",
                       "omnitune/tiny-llama", "--set", "learning_rate", home=omnitune_home)
    assert result.returncode == 1
    assert "KEY=VALUE" in result.stderr
