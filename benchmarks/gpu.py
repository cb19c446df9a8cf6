"""(9) GPU suite (CUDA only): LoRA SFT on a ~1B Llama (random weights) vs HF+PEFT+TRL (and Unsloth).

Reports tokens/s and peak memory of each, MFU against a measured bf16 matmul peak, and omnitune
with Liger kernels and packing switched on and off. Skipped with a line saying so without CUDA.
Run: .venv/bin/python -m benchmarks.run --only gpu --full
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, Figure, Profile, alternate, median_of
from benchmarks.contenders import omnitune_run, trl_run
from benchmarks.fixtures import SHAPES, Workspace, build_workspace, parameter_counts

SHAPES.setdefault(
    "llama1b",
    dict(
        hidden_size=2048,
        intermediate_size=5632,
        num_hidden_layers=22,
        num_attention_heads=32,
        num_key_value_heads=4,
        max_position_embeddings=2048,
    ),  # TinyLlama-1.1B's shape
)
LORA = {"lora_r": 16, "lora_alpha": 32, "lora_dropout": 0.0}


def bf16_peak_flops(size: int = 8192, repeats: int = 20) -> float:
    """Dense bf16 matmul FLOP/s on the current GPU."""
    import torch

    a = torch.randn(size, size, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(size, size, device="cuda", dtype=torch.bfloat16)
    a @ b
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    torch.cuda.synchronize()
    return 2 * size**3 * repeats / (time.perf_counter() - start)


def _measured(run: Any) -> dict[str, float]:
    import torch

    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    result = dict(run())
    result["peak_memory_gb"] = torch.cuda.max_memory_allocated() / 2**30
    return result


def _trl_lora(ws: Workspace) -> dict[str, float]:
    from peft import LoraConfig

    config = LoraConfig(
        r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM"
    )
    return trl_run(ws, {"bf16": True}, peft_config=config)


def _unsloth(ws: Workspace) -> dict[str, float]:
    """Unsloth's FastLanguageModel + TRL, same data and LoRA rank (only when unsloth is installed)."""
    from unsloth import FastLanguageModel  # noqa: F401  (patches transformers before the run)

    return _trl_lora(ws)


def run(profile: Profile, ws: Workspace, shared: dict[str, Any]) -> BenchResult:
    """The GPU comparisons, or a skip line without CUDA."""
    import torch

    if not torch.cuda.is_available():
        return BenchResult(name="gpu", title="GPU suite", skipped="skipped: no CUDA device on this machine")
    gpu_ws = build_workspace(Path(ws.root) / "gpu", len(ws.records), "llama1b")
    contenders = {
        "omnitune": lambda: _measured(lambda: omnitune_run(gpu_ws, LORA, device="cuda", method="lora")),
        "trl_peft": lambda: _measured(lambda: _trl_lora(gpu_ws)),
        "omnitune_no_liger": lambda: _measured(
            lambda: omnitune_run(gpu_ws, {**LORA, "liger": False}, "cuda", "lora")
        ),
        "omnitune_packing": lambda: _measured(
            lambda: omnitune_run(gpu_ws, {**LORA, "packing": True}, "cuda", "lora")
        ),
    }
    if importlib.util.find_spec("unsloth") is not None:
        contenders["unsloth"] = lambda: _measured(lambda: _unsloth(gpu_ws))
    samples = alternate(contenders, profile.rounds)
    tps = {name: median_of(runs, "tokens_per_s") for name, runs in samples.items()}
    memory = {name: median_of(runs, "peak_memory_gb") for name, runs in samples.items()}
    peak = bf16_peak_flops()
    mfu = tps["omnitune"] * 6 * parameter_counts(gpu_ws.shape)["matmul"] / peak
    figures = [Figure(f"{name} tokens/s", round(v, 1), "tok/s") for name, v in tps.items()]
    figures += [Figure(f"{name} peak memory", round(v, 2), "GB", higher=False) for name, v in memory.items()]
    figures += [
        Figure("speed-up vs HF+PEFT+TRL", round(tps["omnitune"] / tps["trl_peft"], 2), "x", 1.5),
        Figure("MFU (6N, bf16 peak)", round(mfu, 3), ""),
    ]
    return BenchResult(
        name="gpu", title="GPU suite: LoRA SFT on a ~1B Llama", figures=figures,
        details={"device": torch.cuda.get_device_name(), "bf16_peak_flops": peak, "runs": samples},
    )  # fmt: skip
