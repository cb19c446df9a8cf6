"""Optimiser, learning-rate schedule and step budget for the image recipes, from hyperparameters."""

from __future__ import annotations

import math
from typing import Any

import torch

from omnitune.recipes.base import RecipeContext


def build_optimizer(
    params: list[torch.nn.Parameter], hp: dict[str, Any], device: str
) -> torch.optim.Optimizer:
    """AdamW, or bitsandbytes' 8-bit AdamW when ``use_8bit_adam`` is set (CUDA only)."""
    kwargs: dict[str, Any] = {
        "lr": float(hp.get("learning_rate", 1e-4)),
        "betas": (float(hp.get("adam_beta1", 0.9)), float(hp.get("adam_beta2", 0.999))),
        "weight_decay": float(hp.get("weight_decay", 1e-2)),
        "eps": float(hp.get("adam_epsilon", 1e-8)),
    }
    if not hp.get("use_8bit_adam", False):
        return torch.optim.AdamW(params, **kwargs)
    if not str(device).startswith("cuda"):
        raise ValueError(
            f"hyperparameter use_8bit_adam: true needs a CUDA GPU (bitsandbytes), but this job runs on "
            f"{device!r}; set use_8bit_adam: false for CPU training"
        )
    try:
        import bitsandbytes as bnb
    except ImportError as exc:
        raise ImportError("use_8bit_adam needs bitsandbytes: `pip install bitsandbytes`") from exc
    optimizer: torch.optim.Optimizer = bnb.optim.AdamW8bit(params, **kwargs)
    return optimizer


def build_lr_scheduler(optimizer: torch.optim.Optimizer, hp: dict[str, Any], total_steps: int) -> Any:
    """diffusers' named schedule (constant, linear, cosine, ...) with optional warmup."""
    from diffusers.optimization import get_scheduler

    return get_scheduler(
        str(hp.get("lr_scheduler", "constant")),
        optimizer=optimizer,
        num_warmup_steps=int(hp.get("lr_warmup_steps", 0)),
        num_training_steps=total_steps,
    )


def resolve_total_steps(ctx: RecipeContext, batches_per_epoch: int) -> int:
    """Optimiser steps: ``ctx.max_steps``, else ``max_steps``, else ``epochs`` passes over the data."""
    if ctx.max_steps is not None:
        return int(ctx.max_steps)
    hp = ctx.hyperparameters
    if hp.get("max_steps"):
        return int(hp["max_steps"])
    accumulation = int(hp.get("gradient_accumulation", 1))
    return max(1, math.ceil(float(hp.get("epochs", 1)) * batches_per_epoch / accumulation))


def pick_device(ctx: RecipeContext) -> torch.device:
    """The job's device, falling back to CPU with a clear error when CUDA was asked for but is absent."""
    if str(ctx.device).startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"the job asks for device {ctx.device!r} but torch sees no CUDA GPU")
    return torch.device(ctx.device)


def weight_dtype(hp: dict[str, Any], device: torch.device) -> torch.dtype:
    """dtype for the frozen parts (VAE, text encoders, base denoiser): half precision on GPUs only."""
    precision = str(hp.get("precision", "fp32"))
    if device.type != "cuda" or precision in ("fp32", "no"):
        return torch.float32
    return torch.bfloat16 if precision == "bf16" else torch.float16
