"""SFT data and model plumbing: assistant-only labels, packing, batch order, freezing, bad families."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omnitune.data.manifest import DatasetManifest, SplitInfo
from omnitune.recipes.llm import sft_data as data
from omnitune.recipes.llm.finetuning import apply_freezing, decoder_layers
from omnitune.recipes.llm.models import load_model_and_tokenizer
from omnitune.recipes.llm.tokenizers import train_bpe_tokenizer
from omnitune.types import DataFamily, Modality

CHAT = [
    {"role": "system", "content": "be brief"},
    {"role": "user", "content": "opposite of hot"},
    {"role": "assistant", "content": "cold"},
    {"role": "user", "content": "opposite of up"},
    {"role": "assistant", "content": "down"},
]


def _labelled_text(tokenizer: object, example: data.Example) -> str:
    kept = [
        tok for tok, lab in zip(example.input_ids, example.labels, strict=True) if lab != data.IGNORE_INDEX
    ]
    return str(tokenizer.decode(kept))  # type: ignore[attr-defined]


def test_only_assistant_turns_carry_labels() -> None:
    tokenizer = train_bpe_tokenizer(["opposite of hot cold up down"] * 5)
    example = data.encode_chat(tokenizer, CHAT, max_len=256, assistant_only=True)
    assert _labelled_text(tokenizer, example) == "cold<|im_end|>\ndown<|im_end|>\n"
    everything = data.encode_chat(tokenizer, CHAT, max_len=256, assistant_only=False)
    assert everything.labels == everything.input_ids
    assert len(data.encode_chat(tokenizer, CHAT, max_len=5, assistant_only=True).input_ids) == 5


def test_template_whose_prefixes_differ_trains_on_everything() -> None:
    tokenizer = train_bpe_tokenizer(None)
    tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }} {% endfor %}END"
    example = data.encode_chat(tokenizer, CHAT, max_len=256, assistant_only=True)
    assert example.labels == example.input_ids


def test_pack_cuts_full_blocks_and_batches_are_seeded() -> None:
    examples = [data.Example(list(range(n)), list(range(n))) for n in (5, 7, 9)]
    blocks = data.pack(examples, 4)
    assert [len(b.input_ids) for b in blocks] == [4] * 5
    assert blocks[1].position_ids == [0, 0, 1, 2]  # row start, then the second document starts
    assert blocks[1].labels == [4, data.IGNORE_INDEX, 1, 2]
    lengths = [3, 9, 1, 7, 5, 2, 8, 4]
    first = data.epoch_batches(lengths, 2, seed=1, epoch=0)
    assert first == data.epoch_batches(lengths, 2, seed=1, epoch=0)
    assert first != data.epoch_batches(lengths, 2, seed=1, epoch=1)
    assert sorted(i for batch in first for i in batch) == list(range(8))
    batch = data.collate([examples[0], examples[1]], pad_id=0)
    assert batch["input_ids"].shape == (2, 7) and int(batch["attention_mask"].sum()) == 12
    assert int((batch["labels"] == data.IGNORE_INDEX).sum()) == 2


def test_freezing_options() -> None:
    model, _ = load_model_and_tokenizer("omnitune/tiny-llama")
    apply_freezing(model, {"freeze_layers": 2})
    layers = decoder_layers(model)
    assert not model.get_input_embeddings().weight.requires_grad
    assert [any(p.requires_grad for p in layer.parameters()) for layer in layers] == [
        False,
        False,
        True,
        True,
    ]
    model, _ = load_model_and_tokenizer("omnitune/tiny-llama")
    apply_freezing(model, {"train_top_layers": 1})
    trainable = {
        name.split(".")[0] + "." + name.split(".")[1]
        for name, p in model.named_parameters()
        if p.requires_grad
    }
    assert trainable == {"model.layers", "model.norm", "lm_head.weight"}
    assert [any(p.requires_grad for p in layer.parameters()) for layer in decoder_layers(model)][-1]


def test_non_sft_family_is_refused_with_the_file(tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_text(json.dumps({"prompt": [], "chosen": [], "rejected": []}) + "\n")
    DatasetManifest(
        modality=Modality.LLM,
        family=DataFamily.PREFERENCE,
        source_format="dpo",
        source="t",
        content_hash="h",
        splits={"train": SplitInfo(file="train.jsonl", records=1)},
    ).write(tmp_path)
    with pytest.raises(ValueError, match=r"manifest\.json: family 'preference'.*llm_preference"):
        data.read_family(tmp_path)
    (tmp_path / "train.jsonl").write_text("{not json\n")
    with pytest.raises(ValueError, match=r"train\.jsonl:1: not valid JSON"):
        data.read_records(tmp_path, "train")


def test_packed_rows_do_not_attend_across_documents() -> None:
    import torch

    model, tokenizer = load_model_and_tokenizer("omnitune/tiny-llama")
    first, second = tokenizer("first document here")["input_ids"], tokenizer("and a second one")["input_ids"]
    packed = data.pack([data.Example(first, first), data.Example(second, second)], len(first) + len(second))
    batch = data.collate(packed, pad_id=0)
    assert "attention_mask" not in batch
    model.eval()
    with torch.no_grad():
        together = model(**batch, use_cache=False).logits
        alone = model(input_ids=torch.tensor([second])).logits
    assert torch.allclose(together[0, len(first) :], alone[0], atol=1e-5)
    padded = data.collate([*packed, data.Example(second, second, list(range(len(second))))], pad_id=0)
    assert padded["position_ids"][1, len(second)] == 0  # the padding is a document of its own


def test_cuda_only_settings_stay_off_on_cpu_and_qlora_names_what_it_needs() -> None:
    import importlib.util

    from omnitune.recipes.llm.finetuning import qlora_model_kwargs, speed_up_for_cuda, use_bf16

    model, _ = load_model_and_tokenizer("omnitune/tiny-llama")
    assert speed_up_for_cuda(model, "cpu", {}) == [] and not use_bf16("cpu", {})
    with pytest.raises(ValueError, match="needs a CUDA GPU"):
        qlora_model_kwargs("cpu")
    if importlib.util.find_spec("bitsandbytes") is None:
        with pytest.raises(ValueError, match=r"omnitune\[gpu\]"):
            qlora_model_kwargs("cuda")
