"""(1) Training throughput: omnitune llm_sft vs plain TRL SFTTrainer (defaults), non-padding tokens/s.

Run: .venv/bin/python -m benchmarks.run --only train_throughput
"""

from __future__ import annotations

from typing import Any

from benchmarks.common import BenchResult, Figure, Profile, alternate, median_of
from benchmarks.contenders import omnitune_run, trl_run
from benchmarks.fixtures import Workspace

TARGET = 1.5


def run(profile: Profile, ws: Workspace, shared: dict[str, Any]) -> BenchResult:
    """Alternate one-epoch runs of both on the same records, model and seed; compare medians."""
    samples = alternate({"omnitune": lambda: omnitune_run(ws), "trl": lambda: trl_run(ws)}, profile.rounds)
    ours, theirs = median_of(samples["omnitune"], "tokens_per_s"), median_of(samples["trl"], "tokens_per_s")
    return BenchResult(
        name="train_throughput",
        title="Training throughput vs TRL SFTTrainer (defaults)",
        figures=[
            Figure("omnitune tokens/s (median)", round(ours, 1), "tok/s"),
            Figure("TRL SFTTrainer tokens/s (median)", round(theirs, 1), "tok/s"),
            Figure("speed-up vs TRL", round(ours / theirs, 2), "x", TARGET),
        ],
        details={
            "records": len(ws.records),
            "model": ws.shape,
            "runs": samples,
            "trl_settings": "SFTConfig defaults (batch 8, no packing, gradient checkpointing, bf16 autocast) "
            "+ use_cpu on a CPU, same learning rate, seed and one epoch",
        },
    )
