"""Run any transformers ``Trainer`` (trl and sentence-transformers trainers included) as an omnitune recipe.

One callback turns the trainer's logs into ``metrics`` events and asks ``ctx.control`` after every
optimiser step whether to stop; ``run_trainer`` then writes a full checkpoint (weights, optimiser,
scheduler, RNG, trainer state) atomically on pause/budget, and resumes from ``ctx.resume_from``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from omnitune.recipes.base import RecipeContext, RecipeResult, RecipeStatus, StopReason
from omnitune.recipes.checkpointing import atomic_checkpoint_dir, checkpoint_name

STATUS_FOR_STOP: dict[StopReason, RecipeStatus] = {
    "pause": "paused",
    "budget": "budget_frozen",
    "cancel": "cancelled",
}


@dataclass
class TrainerOutcome:
    """How a trainer run ended: ``result`` is set when it stopped early (the recipe returns it)."""

    step: int
    metrics: dict[str, float] = field(default_factory=dict)
    result: RecipeResult | None = None


class EventsBridge(TrainerCallback):
    """Emit every log line as a ``metrics`` event and relay stop requests to the trainer."""

    def __init__(
        self, ctx: RecipeContext, save_steps: int = 0, save: Callable[[int], None] | None = None
    ) -> None:
        self.ctx = ctx
        self.save_steps, self.save = save_steps, save
        self.stop_reason: StopReason | None = None
        self.losses: list[float] = []
        self._clock = (time.monotonic(), 0)

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        """Forward numeric log values (loss, learning_rate, grad_norm, method metrics) as one event."""
        values = {_event_key(k): float(v) for k, v in (logs or {}).items() if _is_number(v)}
        if "loss" in values:
            self.losses.append(values["loss"])
        if not values:
            return
        name = _event_name(values)
        if name == "metrics":
            values |= self._progress(args, state, values)
        self.ctx.events.emit(name, step=state.global_step, **values)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        """Start the throughput clock (after a resume, at the resumed step)."""
        self._clock = (time.monotonic(), int(state.global_step))

    def _progress(self, args: Any, state: Any, values: dict[str, float]) -> dict[str, float]:
        """Throughput, the step count to come (for the ETA) and `lr` (the name llm_sft uses)."""
        now, step = time.monotonic(), int(state.global_step)
        then, first = self._clock
        extra = {"lr": values["learning_rate"]} if "learning_rate" in values else {}
        if step > first and now > then:
            samples = (step - first) * args.train_batch_size * args.gradient_accumulation_steps
            extra["samples_per_s"] = samples / (now - then)
        self._clock = (now, step)
        if state.max_steps > 0:  # the runtime's ETA when epochs, not max_steps, set the length
            extra["max_steps"] = int(state.max_steps)
        return extra

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        """Ask the runtime whether to stop (the trainer then ends after this step), else maybe checkpoint."""
        reason = self.ctx.control.stop_requested()
        if reason is not None:
            self.stop_reason = reason
            control.should_training_stop = True
            control.should_log = True  # the last step's loss is still reported
            return
        step = int(state.global_step)
        if (
            self.save is not None
            and self.save_steps
            and step % self.save_steps == 0
            and step < state.max_steps
        ):
            self.save(step)  # a killed worker resumes from here


def run_trainer(ctx: RecipeContext, trainer: Any) -> TrainerOutcome:
    """Train (resuming from ``ctx.resume_from``); on pause/budget checkpoint, on cancel just stop.

    ``save_steps`` in the plan's hyperparameters adds a checkpoint every that many steps.
    """

    def checkpoint(step: int) -> None:
        path = save_trainer_checkpoint(trainer, ctx.checkpoints_dir, step)
        ctx.events.emit("checkpoint", step=step, path=str(path))

    bridge = EventsBridge(ctx, int(ctx.hyperparameters.get("save_steps") or 0), checkpoint)
    trainer.add_callback(bridge)
    resume = str(ctx.resume_from) if ctx.resume_from else None
    if resume:
        ctx.events.emit("resumed", checkpoint=resume)
    output = trainer.train(resume_from_checkpoint=resume)
    step = int(trainer.state.global_step)
    if bridge.stop_reason is not None:
        if bridge.stop_reason != "cancel":
            checkpoint(step)
        status = STATUS_FOR_STOP[bridge.stop_reason]
        ctx.events.emit("stopped", step=step, reason=bridge.stop_reason)
        return TrainerOutcome(step, result=RecipeResult(status, step))
    metrics = {"train_runtime_s": float(output.metrics.get("train_runtime", 0.0))}
    if bridge.losses:
        metrics |= {"initial_loss": bridge.losses[0], "final_loss": bridge.losses[-1]}
    return TrainerOutcome(step, metrics)


def save_trainer_checkpoint(trainer: Any, checkpoints_dir: Path, step: int) -> Path:
    """Write what ``Trainer.train(resume_from_checkpoint=...)`` needs, atomically, as `step-N`."""
    with atomic_checkpoint_dir(checkpoints_dir, step) as partial:
        target = str(partial)
        save_resumable_weights(trainer, target)
        # Trainer keeps these savers private; they are exactly what its own checkpoints contain.
        trainer._save_optimizer_and_scheduler(target)
        trainer._save_scaler(target)
        trainer._save_rng_state(target)
        trainer.state.save_to_json(str(partial / "trainer_state.json"))
    return checkpoints_dir / checkpoint_name(step)


def save_resumable_weights(trainer: Any, target: str) -> None:
    """Save the weights under the names ``Trainer._load_from_checkpoint`` reads back.

    transformers 5 renames some models' weights on load (e.g. AST's ``encoder.layer.N`` ->
    ``layers.N``) and ``save_pretrained`` renames them back by default, but Trainer resumes with a
    plain ``load_state_dict``: those weights would be silently left at their initial values.
    """
    from transformers import PreTrainedModel

    model = trainer.accelerator.unwrap_model(trainer.model)
    if isinstance(model, PreTrainedModel):  # a peft model (adapter files only) is not one
        model.save_pretrained(target, save_original_format=False)
    else:
        trainer.save_model(target)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _event_name(values: dict[str, float]) -> str:
    # Trainer logs three kinds of line: per-step training, evaluation, and the end-of-run summary.
    if any(key.startswith("eval_") for key in values):
        return "eval"
    return "train_summary" if "train_runtime" in values else "metrics"


def _event_key(key: str) -> str:
    # trl logs keys like "rewards/margins"; events use plain identifiers.
    return key.replace("/", "_").replace("-", "_")
