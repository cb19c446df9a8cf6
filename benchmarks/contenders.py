"""One timed training run each: omnitune's llm_sft recipe, and plain TRL SFTTrainer with its defaults.

Both read the same prepared records and the same saved model, train one epoch, and report
non-padding tokens and the wall time from the first step's start to the last step's end.
"""

from __future__ import annotations

import itertools
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.fixtures import Workspace

LEARNING_RATE = 5e-4
BATCH_SIZE = 8  # TRL's default per-device batch size; omnitune uses the same


class TimedSink:
    """An EventSink that keeps every event with the moment it arrived (and the process's CPU time then)."""

    def __init__(self) -> None:
        self.events: list[tuple[float, str, dict[str, Any]]] = []
        self.cpu: list[float] = []  # process CPU seconds at each event, parallel to ``events``

    def emit(self, event: str, /, **fields: Any) -> None:
        """Keep the event, its arrival time and the CPU time used so far."""
        self.events.append((time.perf_counter(), event, fields))
        self.cpu.append(time.process_time())

    def times(self, event: str) -> list[float]:
        """Arrival times of one kind of event."""
        return [t for t, name, _ in self.events if name == event]


class NeverStop:
    """A StopControl that never asks the recipe to stop."""

    def stop_requested(self) -> None:
        """Go on."""
        return None


def omnitune_run(
    ws: Workspace, hp: dict[str, Any] | None = None, device: str = "cpu", method: str = "full_finetune"
) -> dict[str, float]:
    """Train one epoch with the llm_sft recipe (as the runtime's worker runs it)."""
    from omnitune.plan.schema import ModelChoice, Training, TrainingPlan
    from omnitune.recipes.base import RecipeContext
    from omnitune.recipes.registry import get_recipe
    from omnitune.types import Method

    hyper = {
        "batch_size": BATCH_SIZE,
        "learning_rate": LEARNING_RATE,
        "epochs": 1,
        "eval_max_examples": 8,
        "save_steps": 500,  # Trainer's default checkpoint cadence
        # what the planner picks for this width-256 model on a CPU with native bf16 (else fp32 runs)
        "precision": "bf16",
        **(hp or {}),
    }
    choice = ModelChoice(role="llm", base_model=str(ws.model_dir), method=Method(method), recipe="llm_sft")
    plan = TrainingPlan(models=[choice], training=Training(hyperparameters=hyper))
    sink = TimedSink()
    with tempfile.TemporaryDirectory(dir=ws.root) as tmp:
        ctx = RecipeContext(
            plan=plan, model=choice, data_dir=ws.data_dir, output_dir=Path(tmp) / "out",
            checkpoints_dir=Path(tmp) / "checkpoints", events=sink, control=NeverStop(),
            seed=0, device=device,
        )  # fmt: skip
        result = get_recipe("llm_sft").run(ctx)
    start = sink.times("eval")[0]  # the before-training eval is the last thing before step 1
    end = sink.times("metrics")[-1]
    losses = [fields["loss"] for _, name, fields in sink.events if name == "metrics"]
    rates = [fields["tokens_per_s"] for _, name, fields in sink.events if name == "metrics"]
    cpu_rates = steady_cpu_rates(sink)
    return {
        "tokens": result.metrics["train_tokens"],
        "seconds": end - start,
        "tokens_per_s": result.metrics["train_tokens"] / (end - start),
        "steps": float(result.step),
        # median per-step rate after the first step (which also collates the epoch and warms up)
        "steady_tokens_per_s": float(statistics.median(rates[1:] or rates)),
        # the same per CPU-second of this process: what the steps cost, whatever else shares the cores
        "steady_tokens_per_cpu_s": float(statistics.median(cpu_rates)) if cpu_rates else float("nan"),
        "first_loss": float(losses[0]),
        "final_loss": float(losses[-1]),
    }


def steady_cpu_rates(sink: TimedSink) -> list[float]:
    """Tokens per CPU-second of each step after the first (CPU time between consecutive metrics events)."""
    marks = [(cpu, fields["tokens"]) for cpu, (_, name, fields) in zip(sink.cpu, sink.events, strict=True)
             if name == "metrics"]  # fmt: skip
    return [tokens / max(cpu - before, 1e-9) for (before, _), (cpu, tokens) in itertools.pairwise(marks)]


def trl_run(ws: Workspace, config: dict[str, Any] | None = None, peft_config: Any = None) -> dict[str, float]:
    """Train one epoch with trl's SFTTrainer, its defaults kept (only the run's bookkeeping is set)."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    class StepClock(TrainerCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.marks: list[float] = []

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.marks = [time.perf_counter()]

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.marks.append(time.perf_counter())

    clock = StepClock()
    with tempfile.TemporaryDirectory(dir=ws.root) as tmp:
        args = SFTConfig(
            output_dir=tmp, num_train_epochs=1, learning_rate=LEARNING_RATE, seed=0,
            report_to="none", save_strategy="no", disable_tqdm=True,
            use_cpu=not torch.cuda.is_available(),  # SFTConfig refuses a CPU without it (bf16 default)
            **(config or {}),
        )  # fmt: skip
        trainer = SFTTrainer(
            model=AutoModelForCausalLM.from_pretrained(ws.model_dir),
            args=args,
            train_dataset=Dataset.from_list([{"messages": r["messages"]} for r in ws.records]),
            processing_class=AutoTokenizer.from_pretrained(ws.model_dir),
            callbacks=[clock],
            peft_config=peft_config,
        )
        tokens = float(sum(len(ids) for ids in trainer.train_dataset["input_ids"]))
        trainer.train()
        losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    seconds = clock.marks[-1] - clock.marks[0]
    return {
        "tokens": tokens,
        "seconds": seconds,
        "tokens_per_s": tokens / seconds,
        "steps": float(trainer.state.global_step),
        "final_loss": float(losses[-1]) if losses else float("nan"),
    }
