"""(2) Platform overhead: omnitune's training loop vs a hand-written PyTorch loop on identical batches.

Run: .venv/bin/python -m benchmarks.run --only loop_overhead
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, Figure, Profile, alternate, median_of
from benchmarks.contenders import BATCH_SIZE, LEARNING_RATE, NeverStop
from benchmarks.fixtures import Workspace

TARGET = 0.9
STEPS = 6


class JsonlSink:
    """Appends every event to a JSONL file, as the worker's events.jsonl does."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def emit(self, event: str, /, **fields: Any) -> None:
        """Append one event."""
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"event": event, "ts": time.time(), **fields}) + "\n")


def _batches(ws: Workspace) -> tuple[Any, list[dict[str, Any]]]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from omnitune.recipes.llm import sft_data
    from omnitune.types import DataFamily

    tokenizer = AutoTokenizer.from_pretrained(ws.model_dir)
    examples = sft_data.encode_records(tokenizer, ws.records, DataFamily.CHAT, max_len=1024)
    order = sft_data.epoch_batches([len(e.input_ids) for e in examples], BATCH_SIZE, seed=0, epoch=0)
    batches = [sft_data.collate([examples[i] for i in idx], tokenizer.pad_token_id) for idx in order]
    batches = [batches[i % len(batches)] for i in range(max(STEPS, len(batches)))]  # enough steps to time
    return AutoModelForCausalLM.from_pretrained(ws.model_dir), batches


def _optimiser(model: Any, steps: int) -> tuple[Any, Any]:
    import torch
    from transformers import get_scheduler

    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    return optimizer, get_scheduler("cosine", optimizer, num_warmup_steps=0, num_training_steps=steps)


def omnitune_loop(
    ws: Workspace, state: dict[str, Any], batches: list[dict[str, Any]], model: Any
) -> dict[str, float]:
    """omnitune's run_loop (events to a JSONL file, stop checks, grad-norm, lr, memory per step)."""
    import tempfile

    from omnitune.plan.schema import TrainingPlan
    from omnitune.recipes.base import RecipeContext
    from omnitune.recipes.llm.train_state import Progress
    from omnitune.recipes.llm.training_loop import (
        LoopSettings,
        TrainingJob,
        causal_lm_loss,
        predicted_tokens,
        run_loop,
    )

    model.load_state_dict(state)
    optimizer, scheduler = _optimiser(model, len(batches))
    settings = LoopSettings(max_steps=len(batches), save_steps=0)
    job = TrainingJob(
        model, optimizer, scheduler, lambda epoch: batches, causal_lm_loss, predicted_tokens, settings
    )
    with tempfile.TemporaryDirectory(dir=ws.root) as tmp:
        root = Path(tmp)
        ctx = RecipeContext(
            plan=TrainingPlan(), model=None, data_dir=ws.data_dir, output_dir=root,  # type: ignore[arg-type]
            checkpoints_dir=root, events=JsonlSink(root / "events.jsonl"), control=NeverStop(),
        )  # fmt: skip
        start, cpu = time.perf_counter(), time.process_time()
        run_loop(ctx, job, Progress(max_steps=len(batches)))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "final_loss": _last_loss(model, batches)}


def hand_loop(
    ws: Workspace, state: dict[str, Any], batches: list[dict[str, Any]], model: Any
) -> dict[str, float]:
    """The loop a person writes by hand: forward, backward, clip, step, schedule, zero."""
    import torch

    model.load_state_dict(state)
    model.train()
    optimizer, scheduler = _optimiser(model, len(batches))
    start, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        loss = model(**batch, use_cache=False).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "final_loss": _last_loss(model, batches)}


def _last_loss(model: Any, batches: list[dict[str, Any]]) -> float:
    import torch

    with torch.no_grad():
        return float(model(**batches[0], use_cache=False).loss)


def run(profile: Profile, ws: Workspace, shared: dict[str, Any]) -> BenchResult:
    """Alternate both loops from the same initial weights over the same micro-batches."""
    from omnitune.recipes.llm.finetuning import configure_threads

    threads = configure_threads("cpu", {})
    model, batches = _batches(ws)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    samples = alternate(
        {
            "omnitune": lambda: omnitune_loop(ws, state, batches, model),
            "hand": lambda: hand_loop(ws, state, batches, model),
        },
        profile.rounds,
    )
    ours, theirs = median_of(samples["omnitune"], "seconds"), median_of(samples["hand"], "seconds")
    ours_cpu, theirs_cpu = (
        median_of(samples["omnitune"], "cpu_seconds"),
        median_of(samples["hand"], "cpu_seconds"),
    )
    return BenchResult(
        name="loop_overhead",
        title="Training loop vs hand-written PyTorch loop (identical batches)",
        figures=[
            Figure("omnitune loop CPU seconds (median)", round(ours_cpu, 2), "s", higher=False),
            Figure("hand-written loop CPU seconds (median)", round(theirs_cpu, 2), "s", higher=False),
            # CPU time: on a shared machine wall time swings 3x between identical runs
            Figure("speed vs hand-written loop (CPU time)", round(theirs_cpu / ours_cpu, 3), "x", TARGET),
            Figure("speed vs hand-written loop (wall time)", round(theirs / ours, 3), "x"),
        ],
        details={"steps": len(batches), "threads": threads, "runs": samples},
    )
