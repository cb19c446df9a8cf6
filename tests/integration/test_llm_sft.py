"""llm_sft really trains omnitune/tiny-llama: loss falls, eval improves, artefacts reload and generate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from llm_sft_helpers import OPPOSITES, make_context, run_recipe

from omnitune.types import DataFamily

pytestmark = pytest.mark.slow

FAST = {"batch_size": 16, "num_threads": 1, "save_steps": 100}


def _generate(model: Any, tokenizer: Any, prompt: str) -> str:
    """Greedy reply to one user turn, special tokens kept."""
    import torch

    chat = [{"role": "user", "content": prompt}]
    ids = tokenizer.apply_chat_template(
        chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=8, do_sample=False)
    return str(tokenizer.decode(out[0, ids["input_ids"].shape[1] :]))


def _assert_learned(metrics: dict[str, float]) -> None:
    assert metrics["final_loss"] < metrics["initial_loss"] * 0.8, metrics
    assert metrics["eval_loss_after"] < metrics["eval_loss_before"] - 0.5, metrics
    assert metrics["perplexity_after"] < metrics["perplexity_before"]
    assert metrics["train_tokens"] > 0


def test_lora_chat_learns_logs_every_step_and_reloads(tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from omnitune.recipes.llm.models import load_model_and_tokenizer

    hp = {**FAST, "learning_rate": 1e-2, "lora_r": 16, "max_steps": 30}
    ctx, sink = make_context(tmp_path, "lora", hp)
    result = run_recipe(ctx)
    assert result.status == "completed" and result.step == 30
    _assert_learned(result.metrics)
    steps = sink.read("metrics")
    assert [e["step"] for e in steps] == list(range(1, 31))
    for field in ("loss", "lr", "grad_norm", "tokens_per_s", "eta_s", "epoch", "max_steps"):
        assert all(e[field] is not None for e in steps), field
    assert steps[1]["lr"] > 0 and steps[-1]["eta_s"] == 0
    assert [e["step"] for e in sink.read("eval")] == [0, 30]

    out = tmp_path / "out"
    assert (out / "adapter_config.json").is_file() and (out / "base" / "config.json").is_file()
    adapted, tokenizer = load_model_and_tokenizer(str(out))
    merged = AutoModelForCausalLM.from_pretrained(out / "merged")
    probe = tokenizer("opposite of up", return_tensors="pt")
    with torch.no_grad():
        assert torch.allclose(adapted(**probe).logits, merged(**probe).logits, atol=1e-4)
    assert _generate(merged, AutoTokenizer.from_pretrained(out / "merged"), "opposite of hot")


def test_full_finetune_with_frozen_layers_then_lora_on_the_result(tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from omnitune.recipes.llm.models import load_model_and_tokenizer

    hp = {**FAST, "learning_rate": 1e-2, "freeze_layers": 1, "max_steps": 40}
    ctx, sink = make_context(tmp_path, "full_finetune", hp)
    result = run_recipe(ctx)
    _assert_learned(result.metrics)
    setup = sink.read("setup")[0]
    assert 0 < setup["trainable_parameters"] < setup["parameters"]
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "out")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "out")
    assert model.config.vocab_size == len(tokenizer)
    reply = _generate(model, tokenizer, "opposite of hot")
    assert reply.split("<|im_end|>")[0] in OPPOSITES.values(), reply  # it learned the answer format

    # a trained directory is a pretrained base: LoRA on it loads weights and tokenizer from disk
    second = tmp_path / "second"
    second.mkdir()
    hp = {**FAST, "learning_rate": 5e-3, "lora_r": 8, "max_steps": 10}
    ctx, _ = make_context(second, "lora", hp, base_model=str(tmp_path / "out"))
    ctx.data_dir = tmp_path / "data"
    result = run_recipe(ctx)
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"], result.metrics
    assert not (second / "out" / "base").exists() and not (second / "out" / "merged").exists()
    adapted, _ = load_model_and_tokenizer(str(second / "out"))
    assert type(adapted).__name__ == "PeftModelForCausalLM"


def test_pretraining_from_scratch_on_text(tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    hp = {**FAST, "learning_rate": 3e-3, "max_seq_len": 64, "max_steps": 25, "batch_size": 8}
    ctx, _ = make_context(tmp_path, "pretraining", hp, family=DataFamily.TEXT)
    result = run_recipe(ctx)
    _assert_learned(result.metrics)
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "out")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "out")
    ids = tokenizer("10 11 12", return_tensors="pt")
    out = model.generate(**ids, max_new_tokens=6, do_sample=False)
    assert tokenizer.decode(out[0]).startswith("10 11 12")


def test_pause_checkpoints_then_resume_completes_and_cancel_stops(tmp_path: Path) -> None:
    from omnitune.recipes.checkpointing import latest_checkpoint

    hp = {**FAST, "learning_rate": 1e-2, "lora_r": 8, "max_steps": 6}
    ctx, _ = make_context(tmp_path, "lora", hp, stop_step=3, stop_reason="pause")
    paused = run_recipe(ctx)
    assert paused.status == "paused" and paused.step == 3 and paused.artefact_dir is None
    assert latest_checkpoint(tmp_path / "checkpoints").name == "step-00000003"
    ctx, sink = make_context(tmp_path, "lora", hp, resume_from=tmp_path / "checkpoints")
    done = run_recipe(ctx)
    assert done.status == "completed" and done.step == 6
    assert "eval_loss_before" in done.metrics and (tmp_path / "out" / "adapter_config.json").is_file()
    assert [e["step"] for e in sink.read("metrics")][-3:] == [4, 5, 6]

    budget_root = tmp_path / "budget"
    ctx, _ = make_context(budget_root, "lora", hp, stop_step=2, stop_reason="budget")
    assert run_recipe(ctx).status == "budget_frozen"
    cancel_root = tmp_path / "cancel"
    ctx, _ = make_context(cancel_root, "lora", hp, stop_step=2, stop_reason="cancel")
    cancelled = run_recipe(ctx)
    assert cancelled.status == "cancelled" and not (cancel_root / "out").exists()


def test_qlora_on_cpu_names_lora_instead(tmp_path: Path) -> None:
    from omnitune.recipes.llm.finetuning import qlora_model_kwargs

    with pytest.raises(ValueError, match=r"needs a CUDA GPU.*Use method 'lora'"):
        qlora_model_kwargs("cpu")
    ctx, _ = make_context(tmp_path, "qlora", {"max_steps": 1})
    with pytest.raises(ValueError, match="use 'lora'"):
        run_recipe(ctx)
