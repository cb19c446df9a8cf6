"""The benchmark harness runs end to end in its smoke size, so `make bench` cannot rot unnoticed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_smoke_run_writes_json_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "results"
    command = [
        sys.executable, "-m", "benchmarks.run", "--smoke", "--out", str(out),
        "--only", "loop_overhead", "planner", "gpu", "api",
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]

    loop = json.loads((out / "loop_overhead.json").read_text())
    assert loop["skipped"] is None
    ratio = next(f for f in loop["figures"] if f["name"] == "speed vs hand-written loop (CPU time)")
    assert ratio["value"] > 0 and ratio["target"] == 0.9
    planner = json.loads((out / "planner.json").read_text())
    assert {f["name"] for f in planner["figures"]} >= {"warm p50", "warm p99"}
    gpu = json.loads((out / "gpu.json").read_text())
    import torch

    assert (gpu["skipped"] is None) == torch.cuda.is_available()
    summary = (out / "summary.md").read_text()
    assert "| loop_overhead | speed vs hand-written loop (CPU time) |" in summary
    assert "| benchmark | figure | value | target | met |" in summary
