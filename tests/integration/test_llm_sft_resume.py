"""Exact resume: N steps straight == N/2 steps in a process that is `kill -9`ed, then resume (LoRA and full).

The interrupted run is a subprocess that sends itself SIGKILL; the resume runs in the test's own
process, so it shares nothing with the killed one but the files on disk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from llm_sft_helpers import make_context, run_recipe

pytestmark = pytest.mark.slow

HELPERS = Path(__file__).with_name("llm_sft_helpers.py")
# dropout > 0 so the restored RNG state matters; two epochs so the data position crosses one
CASES = {
    "lora": {"learning_rate": 1e-2, "lora_r": 8, "lora_dropout": 0.1},
    "full_finetune": {"learning_rate": 3e-3, "freeze_layers": 1},
}
COMMON = {"batch_size": 32, "gradient_accumulation": 2, "max_steps": 8, "save_steps": 3, "num_threads": 1}


def _run_in_subprocess(root: Path, spec: dict[str, object]) -> subprocess.CompletedProcess[str]:
    spec_path = root / "spec.json"
    spec_path.write_text(json.dumps({"root": str(root), **spec}), encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run(
        [sys.executable, str(HELPERS), str(spec_path)], capture_output=True, text=True, env=env, timeout=300
    )


def _final_weights(out: Path) -> dict[str, object]:
    from safetensors.torch import load_file

    name = "adapter_model.safetensors" if (out / "adapter_config.json").exists() else "model.safetensors"
    return load_file(str(out / name))


@pytest.mark.parametrize("method", sorted(CASES))
def test_kill_9_then_resume_matches_uninterrupted_run(tmp_path: Path, method: str) -> None:
    import torch

    hp = {**COMMON, **CASES[method]}
    straight_root, killed_root = tmp_path / "straight", tmp_path / "killed"
    ctx, _ = make_context(straight_root, method, hp)
    straight = run_recipe(ctx)
    assert straight.status == "completed" and straight.step == 8

    killed_root.mkdir()
    killed = _run_in_subprocess(
        killed_root, {"method": method, "hyperparameters": hp, "stop_step": 4, "stop_reason": "kill"}
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert not (killed_root / "out").exists()
    checkpoints = sorted(p.name for p in (killed_root / "checkpoints").iterdir() if p.is_dir())
    assert checkpoints == ["step-00000003"], checkpoints

    ctx, _ = make_context(killed_root, method, hp, resume_from=killed_root / "checkpoints")
    resumed = run_recipe(ctx)
    assert resumed.status == "completed" and resumed.step == 8

    expected, actual = _final_weights(straight_root / "out"), _final_weights(killed_root / "out")
    assert expected.keys() == actual.keys() and expected
    for name, tensor in expected.items():
        assert torch.allclose(tensor, actual[name], atol=1e-6, rtol=0), name  # type: ignore[arg-type]
    for key in ("initial_loss", "final_loss", "eval_loss_before", "eval_loss_after"):
        assert resumed.metrics[key] == pytest.approx(straight.metrics[key], abs=1e-5), key
