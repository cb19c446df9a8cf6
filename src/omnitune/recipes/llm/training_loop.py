"""The optimiser-step loop shared by LLM recipes: events every step, stop requests, checkpoints.

An explicit loop rather than transformers' Trainer: checkpoints must be atomic, stop requests
obeyed between any two optimiser steps, and resume after ``kill -9`` bit-exact, none of which
Trainer's own checkpointing guarantees.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omnitune.recipes.base import RecipeContext, RecipeStatus
from omnitune.recipes.checkpointing import prune_checkpoints
from omnitune.recipes.llm.train_state import Progress, save_checkpoint

if TYPE_CHECKING:
    import torch

Batch = dict[str, "torch.Tensor"]
LossFn = Callable[[Any, Batch, int], "torch.Tensor"]  # (model, batch, items in the step) -> loss share


@dataclass
class LoopSettings:
    """How the loop runs, resolved from hyperparameters."""

    max_steps: int
    grad_accum: int = 1
    max_grad_norm: float = 1.0
    save_steps: int = 50
    eval_steps: int = 0
    keep_checkpoints: int = 2
    bf16: bool = False
    device: str = "cpu"


@dataclass
class TrainingJob:
    """What the loop trains and on which data; everything a step needs."""

    model: Any
    optimizer: torch.optim.Optimizer
    scheduler: Any
    epoch_batches: Callable[[int], list[Batch]]  # deterministic micro-batches of epoch N
    loss_fn: LossFn
    items_in: Callable[[Batch], int]  # how many predictions a micro-batch holds
    settings: LoopSettings
    evaluate: Callable[[], float] | None = None
    tokenizer: Any = None


def causal_lm_loss(model: Any, batch: Batch, items: int) -> torch.Tensor:
    """Summed token cross-entropy divided by the step's predicted tokens (exact over accumulation)."""
    import torch

    items_tensor = torch.tensor(items, device=batch["input_ids"].device)
    # no KV cache in training: it is wasted memory, and it turns off packed-sequence masking
    return model(**batch, use_cache=False, num_items_in_batch=items_tensor).loss


def predicted_tokens(batch: Batch) -> int:
    """Label tokens after the first position (the ones a causal LM predicts)."""
    return int((batch["labels"][:, 1:] != -100).sum())


def run_loop(ctx: RecipeContext, job: TrainingJob, progress: Progress) -> RecipeStatus:
    """Train until ``max_steps`` or a stop request; checkpoint on save_steps, pause and budget."""
    settings, started, timed_steps = job.settings, time.monotonic(), 0
    cache: dict[int, list[Batch]] = {}
    while progress.step < settings.max_steps:
        reason = ctx.control.stop_requested()
        if reason == "cancel":
            return "cancelled"
        if reason is not None:
            _checkpoint(ctx, job, progress)
            return "paused" if reason == "pause" else "budget_frozen"
        micro = _next_micro_batches(job, progress, cache)
        step_start = time.monotonic()
        loss, grad_norm, lr, tokens = train_step(job, micro)
        duration = time.monotonic() - step_start
        timed_steps += 1
        progress.step += 1
        progress.tokens_seen += tokens
        progress.elapsed_s += duration
        progress.last_loss = loss
        progress.initial_loss = loss if progress.initial_loss is None else progress.initial_loss
        eta = (time.monotonic() - started) / timed_steps * (settings.max_steps - progress.step)
        ctx.events.emit(
            "metrics",
            step=progress.step,
            max_steps=settings.max_steps,
            epoch=round(progress.epoch + progress.micro_batch / max(1, len(cache[progress.epoch])), 4),
            loss=loss,
            lr=lr,
            grad_norm=grad_norm,
            tokens=tokens,
            tokens_per_s=round(tokens / max(duration, 1e-9), 1),
            eta_s=round(eta, 2),
            memory_mb=memory_mb(settings.device),
        )
        if job.evaluate and settings.eval_steps and progress.step % settings.eval_steps == 0:
            eval_loss = job.evaluate()
            ctx.events.emit("eval", step=progress.step, eval_loss=eval_loss, perplexity=perplexity(eval_loss))
        if settings.save_steps and progress.step % settings.save_steps == 0:
            _checkpoint(ctx, job, progress)
    return "completed"


def train_step(job: TrainingJob, micro: list[Batch]) -> tuple[float, float, float, int]:
    """One optimiser step over accumulated micro-batches: (loss, grad norm, lr, tokens)."""
    import torch

    model, settings = job.model, job.settings
    model.train()
    items = max(1, sum(job.items_in(batch) for batch in micro))
    total, tokens = 0.0, 0
    for batch in micro:
        batch = {k: v.to(settings.device) for k, v in batch.items()}
        tokens += (
            int(batch["attention_mask"].sum()) if "attention_mask" in batch else batch["input_ids"].numel()
        )
        with autocast(settings):
            loss = job.loss_fn(model, batch, items)
        loss.backward()
        total += float(loss.detach())
    params = [p for p in model.parameters() if p.requires_grad]
    grad_norm = float(torch.nn.utils.clip_grad_norm_(params, settings.max_grad_norm))
    lr = float(job.scheduler.get_last_lr()[0])
    job.optimizer.step()
    job.scheduler.step()
    job.optimizer.zero_grad(set_to_none=True)
    return total, grad_norm, lr, tokens


def evaluate_loss(model: Any, batches: list[Batch], settings: LoopSettings) -> float:
    """Token-weighted mean cross-entropy over ``batches`` (no gradients, no dropout)."""
    import torch

    model.eval()
    summed, count = 0.0, 0
    with torch.no_grad():
        for batch in batches:
            batch = {k: v.to(settings.device) for k, v in batch.items()}
            items = predicted_tokens(batch)
            with autocast(settings):
                loss = causal_lm_loss(model, batch, items)
            summed += float(loss) * items
            count += items
    return summed / max(1, count)


def perplexity(loss: float) -> float:
    """exp(loss), capped so a diverged run still serialises."""
    return math.exp(min(loss, 50.0))


def autocast(settings: LoopSettings) -> Any:
    """bf16 autocast (CUDA, or a CPU with native bf16 matmuls) when enabled; otherwise full precision."""
    import torch

    device_type = "cuda" if settings.device.startswith("cuda") else "cpu"
    return torch.autocast(device_type, dtype=torch.bfloat16) if settings.bf16 else nullcontext()


def memory_mb(device: str) -> float:
    """Peak accelerator memory on CUDA, else this process's resident memory."""
    import torch

    if device.startswith("cuda"):
        return round(torch.cuda.max_memory_allocated() / 2**20, 1)
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def _next_micro_batches(job: TrainingJob, progress: Progress, cache: dict[int, list[Batch]]) -> list[Batch]:
    accum = job.settings.grad_accum
    batches = _epoch(job, progress.epoch, cache)
    if progress.micro_batch + accum > len(batches):
        progress.epoch, progress.micro_batch = progress.epoch + 1, 0
        batches = _epoch(job, progress.epoch, cache)
    micro = batches[progress.micro_batch : progress.micro_batch + accum]
    progress.micro_batch += accum
    return micro


def _epoch(job: TrainingJob, epoch: int, cache: dict[int, list[Batch]]) -> list[Batch]:
    if epoch not in cache:
        cache.clear()
        cache[epoch] = job.epoch_batches(epoch)
        if len(cache[epoch]) < job.settings.grad_accum:
            raise ValueError(
                f"the training data gives {len(cache[epoch])} batches per epoch, fewer than "
                f"gradient_accumulation={job.settings.grad_accum}; lower batch_size or gradient_accumulation"
            )
    return cache[epoch]


def _checkpoint(ctx: RecipeContext, job: TrainingJob, progress: Progress) -> None:
    path = save_checkpoint(
        ctx.checkpoints_dir, progress, job.model, job.optimizer, job.scheduler, job.tokenizer
    )
    prune_checkpoints(ctx.checkpoints_dir, job.settings.keep_checkpoints)
    ctx.events.emit("checkpoint", step=progress.step, path=str(path))
