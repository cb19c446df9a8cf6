"""llm_merge: linear, SLERP, TIES and DARE merges (mergekit) and adapter merges (peft) of tiny llamas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alignment_helpers import make_ctx, one_thread, write_prepared
from test_llm_distill import ROWS

from omnitune.recipes.registry import get_recipe
from omnitune.types import DataFamily, Method

pytestmark = pytest.mark.usefixtures(one_thread.__name__)


def _fit(model, tokenizer, steps: int = 25) -> None:
    """A few full-batch steps on the chat rows: a real fine-tune, with a lower loss than its base."""
    import torch

    from omnitune.recipes.llm import sft_data

    batch = sft_data.collate(
        sft_data.encode_records(tokenizer, ROWS, DataFamily.CHAT, max_len=64), tokenizer.pad_token_id
    )
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    for _ in range(steps):
        optimizer.zero_grad()
        model(**batch).loss.backward()
        optimizer.step()


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """A saved base, a full fine-tune of it, and a LoRA adapter of it (saved as llm_sft saves one)."""
    import torch
    from peft import LoraConfig, get_peft_model

    from omnitune.recipes.llm import sft_data
    from omnitune.recipes.llm.artefacts import save_artefact
    from omnitune.recipes.llm.models import load_model_and_tokenizer

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # module-scoped: runs before the per-test one_thread fixture
    root = tmp_path_factory.mktemp("merge-models")
    texts = sft_data.texts_for_tokenizer(ROWS, DataFamily.CHAT)
    base, tokenizer = load_model_and_tokenizer("omnitune/tiny-llama", train_texts=texts, seed=1)
    base.save_pretrained(root / "base")
    tokenizer.save_pretrained(root / "base")
    _fit(base, tokenizer)
    base.save_pretrained(root / "tuned")
    tokenizer.save_pretrained(root / "tuned")
    for name, steps in (("adapter_a", 12), ("adapter_b", 3)):
        fresh, _ = load_model_and_tokenizer(str(root / "base"))
        peft_model = get_peft_model(fresh, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"))
        _fit(peft_model, tokenizer, steps)
        save_artefact(peft_model, tokenizer, root / name, base_model=str(root / "base"), adapter=True)
    yield {p.name: p for p in root.iterdir()}
    torch.set_num_threads(threads)


def _merge(tmp_path: Path, models: dict[str, Path], hp: dict, base: str = "base"):
    data = write_prepared(tmp_path / "data", DataFamily.CHAT, ROWS[:8], ROWS[8:])
    base_model = str(models[base]) if base in models else base
    ctx, events = make_ctx(
        tmp_path,
        data,
        recipe="llm_merge",
        method=Method.MERGING,
        base_model=base_model,
        hyperparameters={"num_threads": 1, "seq_len": 64} | hp,
    )
    return ctx, events, get_recipe("llm_merge").run(ctx)


@pytest.mark.slow
def test_linear_merge_is_the_weighted_average(tmp_path: Path, models: dict[str, Path]) -> None:
    hp = {
        "merge_method": "linear",
        "merge_models": [str(models["tuned"]), str(models["base"])],
        "weights": [0.5, 0.5],
    }
    ctx, events, result = _merge(tmp_path, models, hp)
    assert result.status == "completed"

    from safetensors.torch import load_file

    def weights(directory: Path):
        return load_file(directory / "model.safetensors")

    merged, tuned, base = weights(ctx.output_dir), weights(models["tuned"]), weights(models["base"])
    name = "model.layers.0.mlp.down_proj.weight"
    assert (merged[name] - (tuned[name] + base[name]) / 2).abs().max() < 1e-6
    m = result.metrics
    assert m["input0_loss"] < m["base_loss"]  # the fine-tune really learned the data
    assert m["input0_loss"] < m["merged_loss"] < m["base_loss"]
    assert any(name == "evaluation" and f["merge_method"] == "linear" for name, f in events.events)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["slerp", "ties", "dare_ties"])
def test_task_vector_merges_keep_the_fine_tune_gain(
    tmp_path: Path, models: dict[str, Path], method: str
) -> None:
    hp = {"merge_method": method, "merge_models": [str(models["tuned"])], "weights": [1.0], "density": 0.7}
    ctx, _, result = _merge(tmp_path, models, hp)
    m = result.metrics
    assert result.status == "completed"
    assert m["merged_loss"] < m["base_loss"]

    from transformers import AutoModelForCausalLM

    assert AutoModelForCausalLM.from_pretrained(ctx.output_dir).config.vocab_size > 0


@pytest.mark.slow
def test_adapter_ties_merge_reloads(tmp_path: Path, models: dict[str, Path]) -> None:
    hp = {
        "merge_method": "ties",
        "merge_models": [str(models["adapter_a"]), str(models["adapter_b"])],
        "weights": [0.7, 0.3],
        "density": 0.5,
    }
    ctx, _, result = _merge(tmp_path, models, hp)
    m = result.metrics
    assert m["merged_loss"] < m["base_loss"]
    assert (ctx.output_dir / "adapter_config.json").is_file() and (ctx.output_dir / "merged").is_dir()

    from omnitune.recipes.llm.models import load_model_and_tokenizer

    model, tokenizer = load_model_and_tokenizer(str(ctx.output_dir))
    assert model(**tokenizer("Say hi to Ann.", return_tensors="pt")).logits.shape[-1] == len(tokenizer)


def test_bad_merge_settings_are_clear_errors(tmp_path: Path, models: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="choose from"):
        _merge(tmp_path, models, {"merge_method": "frankenmerge", "merge_models": ["x"]})
    with pytest.raises(ValueError, match="exactly one"):
        _merge(tmp_path, models, {"merge_method": "slerp", "merge_models": ["x", "y"]})
    with pytest.raises(ValueError, match="random weights"):
        _merge(
            tmp_path,
            models,
            {"merge_method": "ties", "merge_models": [str(models["tuned"])]},
            base="omnitune/tiny-llama",
        )
