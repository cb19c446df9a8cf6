"""The shared LLM loaders: catalog, local and bundled resolution; offline tokenizer; reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnitune.recipes.llm.models import load_model_and_tokenizer, resolve_model_source
from omnitune.recipes.llm.tokenizers import train_bpe_tokenizer

TEXTS = ["reverse the word banana", "ananab", "copy the word apple", "apple"] * 10


def test_resolve_catalog_local_and_bundled(tmp_path: Path) -> None:
    assert resolve_model_source("omnitune/tiny-llama").kind == "config"
    assert resolve_model_source(str(tmp_path)).kind == "local"
    minilm = resolve_model_source("omnitune/minilm")
    assert minilm.kind == "hub" and Path(minilm.ref, "config.json").is_file()
    assert resolve_model_source("someone/some-model").kind == "hub"


def test_typo_of_catalog_id_suggests_it() -> None:
    with pytest.raises(KeyError, match="tiny-llama"):
        resolve_model_source("tiny-lama")


def test_bpe_tokenizer_is_deterministic_and_round_trips() -> None:
    first, second = train_bpe_tokenizer(TEXTS), train_bpe_tokenizer(TEXTS)
    assert first.get_vocab() == second.get_vocab()
    text = "copy the word ünïcode 🙂"
    assert first.decode(first(text)["input_ids"]) == text
    assert train_bpe_tokenizer(None)("anything at all")["input_ids"]  # bytes-only still covers all


def test_chat_template_marks_assistant_tokens() -> None:
    tokenizer = train_bpe_tokenizer(TEXTS)
    chat = [{"role": "user", "content": "apple"}, {"role": "assistant", "content": "elppa"}]
    encoded = tokenizer.apply_chat_template(chat, return_assistant_tokens_mask=True, return_dict=True)
    marked = [t for t, m in zip(encoded["input_ids"], encoded["assistant_masks"], strict=True) if m]
    assert tokenizer.decode(marked) == "elppa<|im_end|>"


def test_from_config_model_saves_and_reloads(tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model, tokenizer = load_model_and_tokenizer("omnitune/tiny-llama", train_texts=TEXTS)
    assert model.get_input_embeddings().weight.shape[0] == len(tokenizer)
    again, _ = load_model_and_tokenizer("omnitune/tiny-llama", tokenizer=tokenizer)
    assert all(
        (a == b).all() for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True)
    )
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    reloaded, reloaded_tok = load_model_and_tokenizer(str(tmp_path))
    assert reloaded_tok.chat_template == tokenizer.chat_template
    assert AutoTokenizer.from_pretrained(tmp_path).get_vocab() == tokenizer.get_vocab()
    assert AutoModelForCausalLM.from_pretrained(tmp_path).config.vocab_size == len(tokenizer)
    assert (reloaded.lm_head.weight == model.lm_head.weight).all()


def test_pretraining_sizes_and_classification_head() -> None:
    model, tokenizer = load_model_and_tokenizer("omnitune/tiny-llama", model_size="mini")
    assert model.config.num_hidden_layers == 6 and model.config.hidden_size == 256
    classifier, _ = load_model_and_tokenizer(
        "omnitune/tiny-llama", tokenizer=tokenizer, for_classification=True, num_labels=3
    )
    assert classifier.config.num_labels == 3
    with pytest.raises(ValueError, match="model_size"):
        load_model_and_tokenizer("omnitune/tiny-llama", tokenizer=tokenizer, model_size="huge")
