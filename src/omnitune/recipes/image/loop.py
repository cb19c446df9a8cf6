"""The one optimisation loop every image recipe shares (hand-written: diffusers ships no training loop).

It owns what the runtime contract asks of every step: ``metrics`` events, the stop control
(pause/budget -> full checkpoint, cancel -> stop), exact resume from ``ctx.resume_from`` and
``ctx.max_steps``. A recipe supplies the batch loss; the loop does the rest.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from omnitune.recipes.base import RecipeContext, RecipeStatus
from omnitune.recipes.checkpointing import atomic_checkpoint_dir, checkpoint_name
from omnitune.recipes.image.data import BatchOrder, PairedOrder

_STATUS_FOR: dict[str, RecipeStatus] = {"pause": "paused", "budget": "budget_frozen", "cancel": "cancelled"}
WEIGHTS_FILE = "trainable.safetensors"
STATE_FILE = "training_state.pt"


@dataclass
class LoopSpec:
    """What one recipe hands the loop."""

    trainable: dict[str, torch.nn.Parameter]  # saved in every checkpoint, by name
    optimizer: torch.optim.Optimizer
    lr_scheduler: Any
    order: BatchOrder | PairedOrder
    batch_loss: Callable[[list[int]], torch.Tensor]
    total_steps: int
    gradient_accumulation: int = 1
    max_grad_norm: float = 1.0
    ema: Any = None  # diffusers.training_utils.EMAModel over the trainable parameters
    after_step: Callable[[int], None] | None = None  # e.g. validation samples, embedding restore
    save_steps: int = 0


@dataclass
class LoopOutcome:
    """How the loop ended."""

    status: RecipeStatus
    step: int
    losses: list[float] = field(default_factory=list)


def run_loop(ctx: RecipeContext, spec: LoopSpec) -> LoopOutcome:
    """Optimise until ``spec.total_steps``, a stop request or cancel; resume first when asked."""
    step = load_checkpoint(ctx.resume_from, spec) if ctx.resume_from else 0
    losses: list[float] = []
    started, first_step = time.perf_counter(), step
    params = list(spec.trainable.values())
    while step < spec.total_steps:
        loss, samples = _one_step(spec, params)
        step += 1
        losses.append(loss)
        elapsed = time.perf_counter() - started
        per_step = elapsed / (step - first_step)
        ctx.events.emit(
            "metrics",
            step=step,
            loss=loss,
            lr=float(spec.optimizer.param_groups[0]["lr"]),
            samples_per_s=samples / per_step if per_step > 0 else 0.0,
            eta_s=per_step * (spec.total_steps - step),
        )
        if spec.after_step is not None:
            spec.after_step(step)
        reason = ctx.control.stop_requested()
        if reason is not None:
            if reason != "cancel":
                save_checkpoint(ctx.checkpoints_dir, step, spec)
            ctx.events.emit("stopped", step=step, reason=reason)
            return LoopOutcome(_STATUS_FOR[reason], step, losses)
        if spec.save_steps and step % spec.save_steps == 0 and step < spec.total_steps:
            save_checkpoint(ctx.checkpoints_dir, step, spec)
    return LoopOutcome("completed", step, losses)


def _one_step(spec: LoopSpec, params: list[torch.nn.Parameter]) -> tuple[float, int]:
    total, samples = 0.0, 0
    for _ in range(spec.gradient_accumulation):
        batch = spec.order.next()
        loss = spec.batch_loss(batch) / spec.gradient_accumulation
        loss.backward()
        total += float(loss.detach())
        samples += len(batch)
    if spec.max_grad_norm > 0:
        torch.nn.utils.clip_grad_norm_(params, spec.max_grad_norm)
    spec.optimizer.step()
    spec.lr_scheduler.step()
    spec.optimizer.zero_grad(set_to_none=True)
    if spec.ema is not None:
        spec.ema.step(params)
    return total, samples


def save_checkpoint(checkpoints_dir: Path, step: int, spec: LoopSpec) -> Path:
    """Write the full training state (weights, optimiser, scheduler, EMA, RNG, data position) as `step-N`."""
    with atomic_checkpoint_dir(checkpoints_dir, step) as partial:
        weights = {name: p.detach().cpu().contiguous() for name, p in spec.trainable.items()}
        save_file(weights, str(partial / WEIGHTS_FILE))
        state = {
            "step": step,
            "optimizer": spec.optimizer.state_dict(),
            "lr_scheduler": spec.lr_scheduler.state_dict(),
            "ema": spec.ema.state_dict() if spec.ema is not None else None,
            "data": spec.order.state_dict(),
            "rng": _rng_state(),
        }
        torch.save(state, partial / STATE_FILE)
    return checkpoints_dir / checkpoint_name(step)


def load_checkpoint(path: Path, spec: LoopSpec) -> int:
    """Restore everything ``save_checkpoint`` wrote; returns the step to continue from."""
    weights_path = Path(path) / WEIGHTS_FILE
    if not weights_path.is_file():
        raise FileNotFoundError(f"{path}: not an image-recipe checkpoint (no {WEIGHTS_FILE})")
    weights = load_file(str(weights_path))
    missing = sorted(set(spec.trainable) - set(weights))
    if missing:
        raise ValueError(
            f"{weights_path}: lacks {len(missing)} trainable tensors, e.g. {missing[0]!r}; "
            "resume with the same method and hyperparameters"
        )
    with torch.no_grad():
        for name, param in spec.trainable.items():
            param.copy_(weights[name].to(param.device, param.dtype))
    # Our own file, written by save_checkpoint: it holds RNG states that need full unpickling.
    state = torch.load(Path(path) / STATE_FILE, map_location="cpu", weights_only=False)
    spec.optimizer.load_state_dict(state["optimizer"])
    spec.lr_scheduler.load_state_dict(state["lr_scheduler"])
    if spec.ema is not None and state["ema"] is not None:
        spec.ema.load_state_dict(state["ema"])
    spec.order.load_state_dict(state["data"])
    _set_rng_state(state["rng"])
    return int(state["step"])


def _rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
