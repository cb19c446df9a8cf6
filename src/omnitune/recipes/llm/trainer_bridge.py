"""Run a transformers/trl ``Trainer`` under the recipe contract: events, stop requests, atomic checkpoints.

For recipes that wrap a library trainer (DPO, ORPO, KTO, reward, GRPO ...): pass
``trainer_arguments(ctx, ...)`` into the method's config, add ``RecipeCallback(ctx)`` to the
trainer, and call ``run_trainer``. The Trainer writes its own checkpoints into a staging folder;
the callback moves each into ``checkpoints/step-N`` atomically, so a torn one is never the latest,
and resume hands that directory back to ``Trainer.train(resume_from_checkpoint=...)``.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from omnitune.recipes.base import RecipeContext, RecipeStatus, StopReason
from omnitune.recipes.checkpointing import atomic_checkpoint_dir, checkpoint_name, prune_checkpoints
from omnitune.recipes.llm.train_state import resolve_checkpoint

STAGING = ".trainer-staging"


def trainer_arguments(
    ctx: RecipeContext, *, max_steps: int, save_steps: int, **overrides: Any
) -> dict[str, Any]:
    """TrainingArguments fields that make a Trainer log every step and save into the staging folder."""
    arguments: dict[str, Any] = {
        "output_dir": str(ctx.checkpoints_dir / STAGING),
        "max_steps": max_steps,
        "logging_steps": 1,
        "save_strategy": "steps",
        "save_steps": save_steps,
        "report_to": "none",
        "seed": ctx.seed,
        "data_seed": ctx.seed,
        "disable_tqdm": True,
        "include_num_input_tokens_seen": True,
        "use_cpu": ctx.device == "cpu",
    }
    return {**arguments, **overrides}


class RecipeCallback(TrainerCallback):  # type: ignore[misc]
    """Emits ``metrics`` every step, obeys ``ctx.control`` and publishes checkpoints atomically."""

    def __init__(self, ctx: RecipeContext, keep_checkpoints: int = 2) -> None:
        self.ctx, self.keep = ctx, keep_checkpoints
        self.stop_reason: StopReason | None = None
        self._started = time.monotonic()
        self._first_step = 0
        self._last = (time.monotonic(), 0)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._started, self._first_step = time.monotonic(), state.global_step
        self._last = (self._started, state.num_input_tokens_seen or 0)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        reason = self.ctx.control.stop_requested()
        if reason is not None:
            self.stop_reason = reason
            control.should_training_stop = True
            control.should_save = reason != "cancel"

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        if not logs or "loss" not in logs:
            return
        now, tokens = time.monotonic(), state.num_input_tokens_seen or 0
        then, before = self._last
        self._last = (now, tokens)
        done = max(1, state.global_step - self._first_step)
        self.ctx.events.emit(
            "metrics",
            step=state.global_step,
            max_steps=state.max_steps,
            epoch=round(float(state.epoch or 0), 4),
            loss=float(logs["loss"]),
            lr=float(logs.get("learning_rate", 0.0)),
            grad_norm=float(logs["grad_norm"]) if logs.get("grad_norm") is not None else None,
            tokens_per_s=round((tokens - before) / max(now - then, 1e-9), 1),
            eta_s=round((now - self._started) / done * (state.max_steps - state.global_step), 2),
            **{
                k: float(v) for k, v in logs.items() if k.startswith(("rewards/", "logps/")) and _is_number(v)
            },
        )

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        staged = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if not staged.is_dir():
            return
        with atomic_checkpoint_dir(self.ctx.checkpoints_dir, state.global_step) as target:
            for item in staged.iterdir():
                shutil.move(str(item), target / item.name)
        shutil.rmtree(staged, ignore_errors=True)
        prune_checkpoints(self.ctx.checkpoints_dir, self.keep)
        path = self.ctx.checkpoints_dir / checkpoint_name(state.global_step)
        self.ctx.events.emit("checkpoint", step=state.global_step, path=str(path))


def run_trainer(trainer: Any, ctx: RecipeContext, callback: RecipeCallback) -> RecipeStatus:
    """Train (resuming from ``ctx.resume_from`` when set) and map a stop request to a status."""
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # the events file is the log; keep stdout quiet
    resume = str(resolve_checkpoint(ctx.resume_from)) if ctx.resume_from else None
    trainer.train(resume_from_checkpoint=resume)
    shutil.rmtree(ctx.checkpoints_dir / STAGING, ignore_errors=True)
    if callback.stop_reason == "cancel":
        return "cancelled"
    if callback.stop_reason is not None:
        return "paused" if callback.stop_reason == "pause" else "budget_frozen"
    return "completed"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float)
