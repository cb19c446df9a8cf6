"""`--engine auto|transformers|vllm`: the choice logic, the error without vLLM/CUDA, which adapters vLLM
takes as a LoRARequest, and the merged directory it gets otherwise (all on a tiny from-config Llama)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from omnitune.serving.engines import EngineUnavailableError, choose_engine, vllm_lora_plan, vllm_problem

TEXTS = ["opposite of hot is cold", "opposite of up is down", "hello there friend"]
NO_VLLM = importlib.util.find_spec("vllm") is None


@pytest.mark.parametrize(
    ("requested", "problem", "chosen"),
    [
        ("auto", None, "vllm"),
        ("auto", "vllm is not installed", "transformers"),
        ("transformers", None, "transformers"),
        ("transformers", "no CUDA GPU is visible", "transformers"),
        ("vllm", None, "vllm"),
    ],
)
def test_choose_engine(requested: str, problem: str | None, chosen: str) -> None:
    assert choose_engine(requested, problem) == chosen


def test_vllm_without_it_names_what_it_needs() -> None:
    with pytest.raises(EngineUnavailableError) as refused:
        choose_engine("vllm", "no CUDA GPU is visible (torch.cuda.is_available() is False)")
    message = str(refused.value)
    assert message.startswith("--engine vllm: no CUDA GPU is visible")
    assert "`pip install vllm` on a CUDA machine" in message and "--engine transformers" in message
    with pytest.raises(ValueError, match="--engine 'gpu': use one of auto, transformers, vllm"):
        choose_engine("gpu", None)


@pytest.mark.skipif(not NO_VLLM, reason="vllm is installed here")
def test_vllm_problem_says_it_is_not_installed() -> None:
    problem = vllm_problem()
    assert problem is not None and problem.startswith("vllm is not installed (No module named 'vllm')")


def _adapter(root: Path, **lora: Any) -> Path:
    """A tiny Llama with a (non-zero) LoRA saved as omnitune saves one: adapter, tokenizer and base/."""
    import torch
    from peft import LoraConfig, get_peft_model

    from omnitune.recipes.llm.models import load_model_and_tokenizer

    torch.manual_seed(0)
    model, tokenizer = load_model_and_tokenizer("omnitune/tiny-llama", train_texts=TEXTS)
    model.save_pretrained(root / "base")
    config = LoraConfig(target_modules=["q_proj", "v_proj"], init_lora_weights=False, **lora)
    get_peft_model(model, config).save_pretrained(root)
    tokenizer.save_pretrained(root)
    return root


def test_vllm_takes_plain_loras_and_merges_the_rest(tmp_path: Path) -> None:
    plain = _adapter(tmp_path / "plain", r=12)
    assert vllm_lora_plan(plain) == (str(plain / "base"), 16)  # rank rounded up to vLLM's next size
    assert vllm_lora_plan(_adapter(tmp_path / "dora", r=8, use_dora=True)) is None
    assert vllm_lora_plan(_adapter(tmp_path / "big", r=600)) is None
    assert vllm_lora_plan(plain / "base") is None  # full weights are loaded as they are


def test_merged_directory_answers_like_the_adapter(tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from omnitune.recipes.llm.models import load_model_and_tokenizer
    from omnitune.serving.engines import merged_directory

    adapter = _adapter(tmp_path / "adapter", r=8, use_dora=True)
    merged = merged_directory(str(adapter), tmp_path / "merged")
    assert not (merged / "adapter_config.json").exists() and (merged / "tokenizer_config.json").is_file()
    source, tokenizer = load_model_and_tokenizer(str(adapter))
    ids = torch.tensor([tokenizer("opposite of hot")["input_ids"]])
    with torch.no_grad():
        expected = source.eval()(input_ids=ids).logits
        got = AutoModelForCausalLM.from_pretrained(merged).eval()(input_ids=ids).logits
        base = AutoModelForCausalLM.from_pretrained(adapter / "base").eval()(input_ids=ids).logits
    assert torch.allclose(got, expected, atol=1e-4) and not torch.allclose(base, expected, atol=1e-4)


@pytest.mark.skipif(not NO_VLLM, reason="vllm is installed here")
def test_serve_with_engine_vllm_fails_clearly_without_it(tmp_path: Path) -> None:
    from omnitune.cli.main import app

    adapter = _adapter(tmp_path / "adapter", r=8)
    result = CliRunner().invoke(app, ["models", "serve", str(adapter), "--engine", "vllm"])
    assert result.exit_code == 1
    assert "--engine vllm: vllm is not installed" in result.output
    assert "pip install vllm" in result.output
