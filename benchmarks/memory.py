"""(8) Memory: peak RSS of a training run vs the planner's estimate for the same workload.

Each run is a child process (its own peak RSS); the estimate is plan.memory.estimate_peak_memory
for the model's exact shape on a CPU, full fine-tune, the longest batch's tokens. The bench model
is measured, and (beyond --smoke) a narrower and a wider Llama at other batch sizes, so the formula
is not fitted to one point; the figure is the largest error.
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
from benchmarks.fixtures import SHAPES, Workspace, build_workspace, parameter_counts

TARGET_ERROR = 0.15
SHAPES.setdefault(
    "mem_narrow",
    dict(
        hidden_size=128,
        intermediate_size=344,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
    ),
)
SHAPES.setdefault(
    "mem_wide",
    dict(
        hidden_size=512,
        intermediate_size=1376,
        num_hidden_layers=8,
        num_attention_heads=8,
        num_key_value_heads=4,
        max_position_embeddings=1024,
    ),
)
SHAPES.setdefault(
    "mem_mid",  # not used to calibrate CPU_BF16_BYTES_PER_PARAM: the held-out check of that constant
    dict(
        hidden_size=384,
        intermediate_size=1024,
        num_hidden_layers=6,
        num_attention_heads=6,
        num_key_value_heads=6,
        max_position_embeddings=1024,
    ),
)
# (shape, batch size) besides the bench model
EXTRA_POINTS = (("mem_narrow", 16), ("mem_wide", 4), ("mem_mid", 8))
_CHILD = """
import json, sys
from pathlib import Path
import benchmarks.memory  # registers the extra shapes
from benchmarks.fixtures import build_workspace
from benchmarks.contenders import omnitune_run
def status(key):  # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent
    line = next(l for l in open("/proc/self/status") if l.startswith(key + ":"))
    return int(line.split()[1])
ws = build_workspace(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
import torch; from transformers import LlamaForCausalLM  # noqa: what a worker holds before a model
base = status("VmRSS")
from benchmarks.memory import cpu_precision_for
precision = cpu_precision_for(ws.shape["hidden_size"])
omnitune_run(ws, hp={"batch_size": int(sys.argv[4]), "precision": precision})
print(json.dumps({"baseline_kb": base, "peak_kb": status("VmHWM")}))
"""


def measured_peak(ws: Workspace, model: str, batch_size: int) -> dict[str, float]:
    """Peak RSS (GB) of a child that trains one epoch, and its RSS before the model loads."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    args = [sys.executable, "-c", _CHILD, str(ws.root), str(len(ws.records)), model, str(batch_size)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"training child failed: {done.stderr[-2000:]}")
    values = json.loads(done.stdout.strip().splitlines()[-1])
    return {k.replace("_kb", "_gb"): v / 2**20 for k, v in values.items()}


def longest_batch_tokens(ws: Workspace, batch_size: int) -> int:
    """Width x rows of the widest batch: the recipe buckets by length, so the longest share a batch."""
    from transformers import AutoTokenizer

    from omnitune.recipes.llm.sft_data import encode_chat

    tokenizer = AutoTokenizer.from_pretrained(ws.model_dir)
    lengths = sorted(len(encode_chat(tokenizer, r["messages"], 1024, True).input_ids) for r in ws.records)
    return lengths[-1] * min(batch_size, len(lengths))


def estimated_peak(ws: Workspace, batch_size: int) -> float:
    """The planner's CPU estimate (GB) for this model, batch and longest sequence, full fine-tune."""
    from omnitune.plan.memory import Workload, estimate_peak_memory

    shape = ws.shape
    workload = Workload(
        params_b=parameter_counts(shape)["total"] / 1e9,
        tokens_per_sample=longest_batch_tokens(ws, batch_size) // min(batch_size, len(ws.records)),
        batch_size=min(batch_size, len(ws.records)),
        full=True,
        gradient_checkpointing=False,  # CPU runs keep every activation
        vocab=shape["vocab_size"],
        shape=(shape["hidden_size"], shape["num_hidden_layers"]),
        device="cpu",
        precision=cpu_precision_for(shape["hidden_size"]),
    )
    return estimate_peak_memory(workload)


def cpu_precision_for(hidden: int) -> str:
    """The precision the planner gives an LLM of this width on this CPU (and the training child uses)."""
    from omnitune.plan.resources import cpu_precision_for_width
    from omnitune.types import RecipeKey

    return cpu_precision_for_width(hidden, RecipeKey.LLM_SFT)[0]


def measure_point(ws: Workspace, model: str, batch_size: int) -> dict[str, Any]:
    """Measured and estimated peak for one (shape, batch size)."""
    point_ws = build_workspace(ws.root, len(ws.records), model)
    peak = measured_peak(point_ws, model, batch_size)
    estimate = estimated_peak(point_ws, batch_size)
    error = (estimate - peak["peak_gb"]) / peak["peak_gb"]
    return {"model": model, "batch_size": batch_size, **peak, "estimate_gb": estimate, "error": error}


def run(profile: Profile, ws: Workspace, shared: dict[str, Any]) -> BenchResult:
    """Relative error of the estimate against the measured peak, at each shape."""
    extra = EXTRA_POINTS if profile.name != "smoke" else ()
    points = [measure_point(ws, m, b) for m, b in ((profile.model, BATCH_SIZE), *extra)]
    main, worst = points[0], max(abs(p["error"]) for p in points)
    figures = [
        Figure("measured peak RSS", round(main["peak_gb"], 3), "GB", higher=False),
        Figure("RSS before the model (interpreter + libraries)", round(main["baseline_gb"], 3), "GB",
               higher=False),
        Figure("plan estimate", main["estimate_gb"], "GB", higher=False),
        *(Figure(f"error at {p['model']}, batch {p['batch_size']}", round(p["error"], 3)) for p in points),
        Figure("estimator error (largest)", round(worst, 3), "", TARGET_ERROR, higher=False),
    ]  # fmt: skip
    return BenchResult(
        name="memory",
        title="Peak RSS of training vs the plan's memory estimate",
        figures=figures,
        details={"points": points, "shapes": {p["model"]: SHAPES[p["model"]] for p in points}},
    )
