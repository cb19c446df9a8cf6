"""(3) Hardware utilisation: achieved training FLOP/s over this machine's dense matmul peak.

FLOPs per token = 6·N (N: parameters in matmuls, head included, lookup embedding not) plus attention
12·L·d·s (PaLM's count, s the length of the token's sequence). The peak is a 1024² matmul at the
training's thread count and in the precision its matmuls run in (bf16 where the recipe autocasts to
it: CUDA, or a CPU with AVX512-BF16/AMX), measured between the training runs of the same benchmark run.

Two ratios: per CPU-second of this process (training's steady steps over the matmul's median, both
counted in the process's own CPU time, so other work on a shared machine cancels out) — the figure
held to the target — and per wall-second (steady steps over the best matmul timing), which on a
loaded machine compares a step that shared its core with the one moment the matmul did not.
Run: .venv/bin/python -m benchmarks.run --only utilisation
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from benchmarks.common import BenchResult, Figure, Profile
from benchmarks.contenders import omnitune_run
from benchmarks.fixtures import Workspace, parameter_counts

TARGET = 0.6
STEPS = 8  # optimiser steps per run (epochs repeat); the first is not counted


def matmul_peak_flops(size: int = 1024, seconds: float = 1.0, dtype: str = "float32") -> tuple[float, float]:
    """Dense matmul rates in ``dtype`` at the current torch thread count: (best FLOP per wall-second,
    median FLOP per CPU-second of this process) over repeated timings."""
    import torch

    a, b = (torch.randn(size, size, dtype=getattr(torch, dtype)) for _ in range(2))
    a @ b  # warm the kernels
    best, per_cpu, deadline = 0.0, [], time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start, cpu = time.perf_counter(), time.process_time()
        a @ b
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        best = max(best, 2 * size**3 / wall)
        per_cpu.append(2 * size**3 / max(cpu, 1e-9))
    return best, statistics.median(per_cpu)


def flops_per_token(ws: Workspace) -> float:
    """Training FLOPs per token of this workspace's model over its records' mean sequence length."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(ws.model_dir)
    lengths = [len(tokenizer.apply_chat_template(r["messages"], tokenize=True)) for r in ws.records[:512]]
    seq = sum(n * n for n in lengths) / sum(lengths)  # token-weighted sequence length
    shape = ws.shape
    attention = 12 * shape["num_hidden_layers"] * shape["hidden_size"] * seq
    return 6 * parameter_counts(shape)["matmul"] + attention


def run(profile: Profile, ws: Workspace, shared: dict[str, Any]) -> BenchResult:
    """Peak, training, peak ... per round; utilisation from the medians of steady-state steps."""
    from omnitune.recipes.llm.finetuning import configure_threads, use_bf16

    dtype = (
        "bfloat16" if use_bf16("cpu", {"precision": "bf16"}) else "float32"
    )  # the precision the recipe's matmuls run in
    runs, peaks = [], []
    for _ in range(profile.rounds):
        configure_threads("cpu", {})
        peaks.append(matmul_peak_flops(dtype=dtype))
        runs.append(omnitune_run(ws, {"max_steps": STEPS}))
    configure_threads("cpu", {})
    peaks.append(matmul_peak_flops(dtype=dtype))
    per_token = flops_per_token(ws)
    achieved = statistics.median(r["steady_tokens_per_s"] for r in runs) * per_token
    achieved_cpu = statistics.median(r["steady_tokens_per_cpu_s"] for r in runs) * per_token
    peak = statistics.median(best for best, _ in peaks)
    peak_cpu = statistics.median(cpu for _, cpu in peaks)
    return BenchResult(
        name="utilisation",
        title="Hardware utilisation (training FLOP/s / measured matmul peak in the training precision)",
        figures=[
            Figure("training GFLOP per CPU-second (steady steps)", round(achieved_cpu / 1e9, 2), "GFLOP/s"),
            Figure("matmul GFLOP per CPU-second (median)", round(peak_cpu / 1e9, 2), "GFLOP/s"),
            Figure("utilisation (CPU time)", round(achieved_cpu / peak_cpu, 3), "", TARGET),
            Figure("achieved training GFLOP/s (steady steps, wall)", round(achieved / 1e9, 2), "GFLOP/s"),
            Figure("measured matmul peak GFLOP/s (best, wall)", round(peak / 1e9, 2), "GFLOP/s"),
            Figure("utilisation (wall, vs best matmul)", round(achieved / peak, 3), ""),
        ],
        details={
            "flops_per_token": per_token,
            "peaks": peaks,
            "peak_dtype": dtype,
            "train_runs": runs,
            "threads": _threads(),
        },
    )


def _threads() -> int:
    import torch

    return torch.get_num_threads()
