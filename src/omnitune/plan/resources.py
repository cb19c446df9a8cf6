"""Fit a configuration to a GPU (each change a one-line reason), pick a GPU, estimate time and cost."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from omnitune.catalog.cpu import cpu_bf16_flags
from omnitune.catalog.entries import CatalogModel
from omnitune.catalog.hardware import GpuType, load_hardware, load_prices
from omnitune.plan.memory import estimate_peak_memory, train_flops
from omnitune.plan.presets import FULL_METHODS, training_samples, workload
from omnitune.settings import get_settings
from omnitune.types import Method, RecipeKey

HEADROOM = 0.9  # plan to use at most 90% of device memory
MFU = {"gpu": 0.35, "cpu": 0.3}  # achieved fraction of peak throughput
QLORA_SLOWDOWN = 1.3  # dequantising 4-bit weights on every matmul
CPU_BF16_MIN_WIDTH = 256  # narrower models train faster in fp32 on a CPU (see cpu_precision)


@dataclass
class Fit:
    """A configuration adjusted to a GPU."""

    method: Method
    hyperparameters: dict[str, Any]
    peak_gb: float
    fits: bool
    adjustments: list[str] = field(default_factory=list)


def _peak(model: CatalogModel, recipe: RecipeKey, method: Method, hp: dict[str, Any], gpu: GpuType) -> float:
    device = "cpu" if gpu.id == "cpu" else "cuda"
    return estimate_peak_memory(replace(workload(model, recipe, method, hp), device=device))


def fit_to_gpu(
    model: CatalogModel,
    recipe: RecipeKey,
    method: Method,
    hp: dict[str, Any],
    gpu: GpuType,
    *,
    method_locked: bool,
) -> Fit:
    """Shrink the configuration step by step until it fits ``gpu``; each step leaves a reason."""
    hp = dict(hp)
    notes: list[str] = []
    limit = gpu.memory_gb * HEADROOM
    steps: tuple[Any, ...] = _SHRINK_STEPS
    if gpu.id == "cpu":  # 4-bit kernels need CUDA
        steps = tuple(s for s in steps if s is not _quantize)
        if hp.get("precision") in ("bf16", "fp16"):
            hp["precision"], note = cpu_precision(model, recipe)
            notes.append(note)
    for step in steps:
        peak = _peak(model, recipe, method, hp, gpu)
        if peak <= limit:
            return Fit(method, hp, peak, True, notes)
        change = step(model, recipe, method, hp, method_locked)
        if change:
            method, hp, reason = change
            notes.append(f"{reason} (estimated {peak:g} GB > {limit:.0f} GB usable)")
    peak = _peak(model, recipe, method, hp, gpu)
    return Fit(method, hp, peak, peak <= limit, notes)


def cpu_precision(model: CatalogModel, recipe: RecipeKey) -> tuple[str, str]:
    """(precision, reason) for training on this machine's CPU.

    bf16 autocast pays on a CPU only with bf16 in hardware, for the LLM recipes (whose loop autocasts on
    the CPU), and for models of width 256 and up: measured here (AVX512-BF16) a width-256 Llama step
    takes 0.7x the fp32 time, width 512 0.65x, while width 128 takes 1.07x and width 64 1.5x (casts cost
    more than such small matmuls save). Elsewhere bf16 is emulated and slower than fp32.
    """
    return cpu_precision_for_width(
        int((model.from_config or {}).get("hidden_size", CPU_BF16_MIN_WIDTH)), recipe
    )


def cpu_precision_for_width(width: int, recipe: RecipeKey) -> tuple[str, str]:
    """:func:`cpu_precision` for a model of hidden size ``width`` (real checkpoints are wide enough)."""
    flags = cpu_bf16_flags()
    if flags and str(recipe).startswith("llm_"):
        if width >= CPU_BF16_MIN_WIDTH:
            return "bf16", f"precision bf16 on the CPU: it has {', '.join(flags)} (native bf16 matmuls)"
        return "fp32", f"precision fp32: width {width} is too narrow for bf16 to pay on the CPU"
    return "fp32", "precision fp32: training on the CPU"


def _checkpointing(model, recipe, method, hp, locked):
    if hp.get("gradient_checkpointing") is False or "gradient_checkpointing" not in hp:
        return (
            method,
            {**hp, "gradient_checkpointing": True},
            "gradient checkpointing on: recompute activations",
        )
    return None


def _adapters(model, recipe, method, hp, locked):
    if (
        recipe is RecipeKey.LLM_SFT
        and method in FULL_METHODS
        and method is not Method.FULL_FINETUNE
        and not locked
    ):
        return (
            Method.LORA,
            {**hp, "lora_r": 16, "lora_alpha": 32, "lora_dropout": 0.05},
            "LoRA instead of full weights",
        )
    if recipe is RecipeKey.LLM_SFT and method is Method.CONTINUED_PRETRAINING and not hp.get("use_lora"):
        return (
            method,
            {**hp, "use_lora": True, "lora_r": 64, "lora_alpha": 128},
            "continued pretraining via LoRA",
        )
    return None


def _batch(model, recipe, method, hp, locked):
    batch = int(hp.get("batch_size", 1))
    if batch <= 1:
        return None
    accum = int(hp.get("gradient_accumulation", 1))
    new = {**hp, "batch_size": batch // 2, "gradient_accumulation": accum * 2}
    return (
        method,
        new,
        f"batch {batch}->{batch // 2}, gradient accumulation {accum}->{accum * 2} (same effective batch)",
    )


def _quantize(model, recipe, method, hp, locked):
    if hp.get("quantization") or (method in FULL_METHODS and not hp.get("use_lora")):
        return None
    if recipe is RecipeKey.LLM_SFT and method is Method.LORA and not locked:
        return Method.QLORA, {**hp, "quantization": "4bit"}, "QLoRA: base weights in 4-bit NF4"
    if method in (Method.LORA, Method.DREAMBOOTH, Method.CONTROLNET, Method.DPO, Method.SFT) or hp.get(
        "use_lora"
    ):
        return method, {**hp, "quantization": "4bit"}, "frozen base weights quantised to 4-bit"
    return None


def _cache_embeddings(model, recipe, method, hp, locked):
    if model.aux_params_b and not hp.get("cache_text_embeddings"):
        return method, {**hp, "cache_text_embeddings": True}, "text embeddings precomputed, encoders unloaded"
    return None


def _optimizer_8bit(model, recipe, method, hp, locked):
    if "8bit" not in str(hp.get("optimizer", "")) and method in FULL_METHODS:
        return method, {**hp, "optimizer": "adamw_8bit"}, "8-bit AdamW states"
    return None


def _shorter(model, recipe, method, hp, locked):
    if int(hp.get("seq_len", 0)) > 512:
        return (
            method,
            {**hp, "seq_len": hp["seq_len"] // 2},
            f"sequence length {hp['seq_len']}->{hp['seq_len'] // 2}",
        )
    res = hp.get("resolution")
    if isinstance(res, int) and res > 512 and recipe.value.startswith("image"):
        return (
            method,
            {**hp, "resolution": res // 2 if res > 768 else 512},
            f"resolution {res}->{max(512, res // 2)}",
        )
    if int(hp.get("num_frames", 0)) > 17:
        return method, {**hp, "num_frames": 17}, f"frames per clip {hp['num_frames']}->17"
    return None


_SHRINK_STEPS = (
    _checkpointing,
    _cache_embeddings,
    _batch,
    _batch,
    _batch,
    _adapters,
    _quantize,
    _optimizer_8bit,
    _shorter,
    _batch,
    _shorter,
    _shorter,
)


def hourly_price(gpu_id: str, count: int) -> tuple[str, float]:
    """(provider, USD per hour) for ``count`` GPUs; the CPU uses settings.cpu_hourly_rate_usd."""
    if gpu_id == "cpu":
        return "local", get_settings().cpu_hourly_rate_usd
    provider, price = load_prices().cheapest(gpu_id)
    return provider, price * count


def train_hours(
    model: CatalogModel, recipe: RecipeKey, fit: Fit, gpu: GpuType, count: int, samples: int
) -> float:
    """Wall-clock hours from FLOPs over achieved throughput."""
    w = workload(model, recipe, fit.method, fit.hyperparameters)
    if w.kind == "merge":
        return 0.1
    flops = train_flops(w, training_samples(fit.hyperparameters, samples))
    mfu = MFU["cpu" if gpu.id == "cpu" else "gpu"]
    seconds = flops / (gpu.bf16_tflops * 1e12 * mfu * count)
    if fit.hyperparameters.get("quantization") == "4bit":
        seconds *= QLORA_SLOWDOWN
    return round(seconds / 3600 + 0.05, 2)  # + model load and checkpoint writes


def gpus_by_price() -> list[GpuType]:
    """Rentable GPUs, cheapest hour first."""
    hw = load_hardware()
    return sorted(
        (g for g in hw.values() if g.id != "cpu"), key=lambda g: load_prices().cheapest(g.id)[1] or 99
    )
