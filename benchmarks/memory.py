"""(8) Memory: peak RSS of a training run vs the planner's estimate for the same workload.

The run is a child process (its own peak RSS); the estimate is plan.memory.estimate_peak_memory for
the model's exact shape, full fine-tune, the batch's longest sequence. The RSS includes the Python
interpreter and libraries, which the estimate's fixed overhead term stands for.
Run: .venv/bin/python -m benchmarks.run --only memory
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, Figure, Profile
from benchmarks.contenders import BATCH_SIZE
from benchmarks.fixtures import Workspace, parameter_counts

TARGET_ERROR = 0.15
_CHILD = """
import json, sys
from pathlib import Path
from benchmarks.fixtures import build_workspace
from benchmarks.contenders import omnitune_run
def status(key):  # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent
    line = next(l for l in open("/proc/self/status") if l.startswith(key + ":"))
    return int(line.split()[1])
ws = build_workspace(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
import torch, transformers  # noqa: the libraries a run holds count in the baseline
base = status("VmRSS")
omnitune_run(ws)
print(json.dumps({"baseline_kb": base, "peak_kb": status("VmHWM")}))
"""


def measured_peak(ws: Workspace, profile: Profile) -> dict[str, float]:
    """Peak RSS (GB) of a child that trains one epoch, and its RSS before the model loads."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    args = [sys.executable, "-c", _CHILD, str(ws.root), str(len(ws.records)), profile.model]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"training child failed: {done.stderr[-2000:]}")
    values = json.loads(done.stdout.strip().splitlines()[-1])
    return {k.replace("_kb", "_gb"): v / 2**20 for k, v in values.items()}


def estimated_peak(ws: Workspace) -> float:
    """The planner's estimate (GB) for this model, batch and longest sequence, full fine-tune."""
    from transformers import AutoTokenizer

    from omnitune.plan.memory import Workload, estimate_peak_memory

    tokenizer = AutoTokenizer.from_pretrained(ws.model_dir)
    longest = max(len(tokenizer.apply_chat_template(r["messages"], tokenize=True)) for r in ws.records)
    shape = ws.shape
    workload = Workload(
        params_b=parameter_counts(shape)["total"] / 1e9,
        tokens_per_sample=longest,
        batch_size=BATCH_SIZE,
        full=True,
        gradient_checkpointing=False,  # CPU runs keep every activation
        vocab=shape["vocab_size"],
        shape=(shape["hidden_size"], shape["num_hidden_layers"]),
    )
    return estimate_peak_memory(workload)


def run(profile: Profile, ws: Workspace, shared: dict[str, Any]) -> BenchResult:
    """Relative error of the estimate against the measured peak."""
    peak = measured_peak(ws, profile)
    estimate = estimated_peak(ws)
    error = abs(estimate - peak["peak_gb"]) / peak["peak_gb"]
    return BenchResult(
        name="memory",
        title="Peak RSS of training vs the plan's memory estimate",
        figures=[
            Figure("measured peak RSS", round(peak["peak_gb"], 3), "GB", higher=False),
            Figure(
                "RSS before training (interpreter + libraries)",
                round(peak["baseline_gb"], 3),
                "GB",
                higher=False,
            ),
            Figure("plan estimate", estimate, "GB", higher=False),
            Figure("estimator error", round(error, 3), "", TARGET_ERROR, higher=False),
        ],
        details={"peak": peak, "estimate_gb": estimate, "note": "estimate rounded to 0.1 GB by the planner"},
    )
