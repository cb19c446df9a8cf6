"""trainer_bridge: a transformers Trainer logs every step, pauses into an atomic checkpoint, resumes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from llm_sft_helpers import make_context

pytestmark = pytest.mark.slow


def _trainer(ctx: Any, callback: Any) -> Any:
    import torch
    from transformers import Trainer, TrainingArguments, default_data_collator

    from omnitune.recipes.llm.models import load_model_and_tokenizer
    from omnitune.recipes.llm.trainer_bridge import trainer_arguments

    torch.set_num_threads(1)
    texts = [" ".join(str(n) for n in range(s, s + 15)) for s in range(40)]
    model, tokenizer = load_model_and_tokenizer("omnitune/tiny-llama", train_texts=texts, seed=ctx.seed)
    rows = [tokenizer(t, truncation=True, max_length=16, padding="max_length") for t in texts]
    data = [{**r, "labels": list(r["input_ids"])} for r in rows]
    args = TrainingArguments(**trainer_arguments(ctx, max_steps=6, save_steps=100, learning_rate=3e-3))
    args.per_device_train_batch_size = 8
    return Trainer(
        model=model, args=args, train_dataset=data, data_collator=default_data_collator, callbacks=[callback]
    )


def test_trainer_bridge_events_pause_and_exact_resume(tmp_path: Path) -> None:
    import torch

    from omnitune.recipes.checkpointing import latest_checkpoint
    from omnitune.recipes.llm.trainer_bridge import RecipeCallback, run_trainer

    ctx, sink = make_context(tmp_path / "straight", "full_finetune", {})
    straight = _trainer(ctx, callback := RecipeCallback(ctx))
    assert run_trainer(straight, ctx, callback) == "completed"
    steps = sink.read("metrics")
    assert [e["step"] for e in steps] == [1, 2, 3, 4, 5, 6]
    assert steps[-1]["loss"] < steps[0]["loss"] and all(e["grad_norm"] is not None for e in steps)

    ctx, sink = make_context(tmp_path / "paused", "full_finetune", {}, stop_step=3, stop_reason="pause")
    paused = _trainer(ctx, callback := RecipeCallback(ctx))
    assert run_trainer(paused, ctx, callback) == "paused"
    checkpoint = latest_checkpoint(ctx.checkpoints_dir)
    # asked after step 4's update, before its log: the control saw step 3 done and stopped there
    assert checkpoint is not None and checkpoint.name == "step-00000004"
    assert (checkpoint / "optimizer.pt").is_file() and (checkpoint / "rng_state.pth").is_file()

    ctx, _ = make_context(tmp_path / "paused", "full_finetune", {}, resume_from=ctx.checkpoints_dir)
    resumed = _trainer(ctx, callback := RecipeCallback(ctx))
    assert run_trainer(resumed, ctx, callback) == "completed"
    for (name, a), b in zip(
        straight.model.state_dict().items(), resumed.model.state_dict().values(), strict=True
    ):
        assert torch.allclose(a, b, atol=1e-6), name
