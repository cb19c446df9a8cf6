"""Preset hyperparameters per recipe (presets.yaml), and the workload they imply for the estimator."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from omnitune.catalog.entries import CatalogModel
from omnitune.plan.memory import Workload
from omnitune.types import Method, Modality, Preset, RecipeKey, Task

# Methods that update every weight (the rest train adapters, embeddings or a control branch).
FULL_METHODS = frozenset(
    {
        Method.FULL_FINETUNE,
        Method.SFT,
        Method.PRETRAINING,
        Method.CONTINUED_PRETRAINING,
        Method.CLASSIFICATION,
        Method.CONTRASTIVE,
        Method.DISTILLATION,
    }
)


@lru_cache(maxsize=1)
def load_presets() -> dict[str, Any]:
    """The raw presets.yaml document."""
    data: dict[str, Any] = _read_presets()
    return data


def _read_presets() -> Any:
    from importlib import resources

    import yaml

    text = resources.files("omnitune.plan").joinpath("presets.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def preferred_methods(task: Task | None) -> list[Method]:
    """Methods to try, in order, when the request names none."""
    presets = load_presets()
    names = presets["task_methods"].get(task.value if task else "", []) + presets["default_methods"]
    return [Method(n) for n in names]


def size_target(modality: Modality, preset: Preset) -> float:
    """Parameter count (billions) the preset aims for in this modality."""
    return float(load_presets()["size_targets_b"][modality.value][preset.value])


def hyperparameters(recipe: RecipeKey, preset: Preset, method: Method) -> dict[str, Any]:
    """Base preset, the preset's overrides, then the method's overrides."""
    spec = load_presets()["recipes"][recipe.value]
    hp = dict(spec["base"])
    hp.update(spec.get(preset.value, {}))
    hp.update(spec.get(method.value, {}))
    if method in FULL_METHODS:
        for key in ("lora_r", "lora_alpha", "lora_dropout", "lora_target_modules"):
            hp.pop(key, None)
    if method is Method.QLORA:
        hp["quantization"] = "4bit"
    return hp


def data_spec(recipe: RecipeKey) -> dict[str, Any]:
    """What data the recipe needs."""
    return dict(load_presets()["recipes"][recipe.value]["data"])


def _side(resolution: Any, default: int) -> tuple[int, int]:
    if isinstance(resolution, int):
        return resolution, resolution
    if isinstance(resolution, str) and "x" in resolution:
        w, h = resolution.lower().split("x")
        return int(w), int(h)
    return default, default


def tokens_per_sample(recipe: RecipeKey, hp: dict[str, Any]) -> int:
    """Sequence length the model processes per sample (latent patches for diffusion/video)."""
    kind = load_presets()["recipes"][recipe.value]["workload"]["kind"]
    spec = load_presets()["recipes"][recipe.value]["workload"]
    if kind == "latent":
        w, h = _side(hp.get("resolution"), 1024)
        return max(1, (w // 16) * (h // 16))
    if kind == "video":
        w, h = _side(hp.get("resolution"), 832)
        return (int(hp.get("num_frames", 49)) // 4 + 1) * (w // 16) * (h // 16)
    if kind == "patches":
        w, h = _side(hp.get("resolution"), 224)
        return (w // spec.get("patch", 16)) * (h // spec.get("patch", 16)) * spec.get("frames", 1)
    if kind == "audio_tokens":
        seconds = hp.get("clip_seconds", spec.get("clip_seconds", 10))
        return int(spec["frame_rate"] * seconds)
    return int(hp.get("seq_len", 512))


def workload(model: CatalogModel, recipe: RecipeKey, method: Method, hp: dict[str, Any]) -> Workload:
    """The estimator's view of training ``model`` with these hyperparameters."""
    spec = load_presets()["recipes"][recipe.value]["workload"]
    passes = spec.get("passes", 1)  # preference pairs and RL rollouts process several sequences
    return Workload(
        params_b=model.params_b,
        tokens_per_sample=min(tokens_per_sample(recipe, hp), _config_positions(model)) * passes,
        batch_size=int(hp.get("batch_size", 1)),
        full=method in FULL_METHODS and not hp.get("use_lora"),
        quantization=hp.get("quantization"),
        optimizer=str(hp.get("optimizer", "adamw_torch")),
        lora_r=int(hp.get("lora_r", 16)),
        gradient_checkpointing=bool(hp.get("gradient_checkpointing", False)),
        kind=spec["kind"],
        vocab=_vocab(model, spec, hp),
        aux_params_b=0.0 if hp.get("cache_text_embeddings") else model.aux_params_b,
        trainable_fraction=spec.get("trainable_fraction"),
        shape=_config_shape(model),
        precision=str(hp.get("precision", "fp32")),
    )


def _vocab(model: CatalogModel, spec: dict[str, Any], hp: dict[str, Any]) -> int:
    """The output vocabulary; a from-config LLM gets the BPE tokenizer the recipe trains (2048)."""
    cfg = model.from_config or {}
    if "vocab_size" in cfg:
        return int(cfg["vocab_size"])
    if cfg and spec["kind"] == "sequence":
        return int(hp.get("vocab_size", 2048))
    return int(spec.get("vocab", 2))


def _config_positions(model: CatalogModel) -> int:
    """A from-config model's longest sequence (the recipe truncates to it); unbounded otherwise."""
    return int((model.from_config or {}).get("max_position_embeddings", 1 << 30))


def _config_shape(model: CatalogModel) -> tuple[int, int] | None:
    """(hidden, layers) of a from-config model, so tiny models are not sized like real ones."""
    cfg = model.from_config or {}
    hidden = cfg.get("hidden_size") or cfg.get("d_model")
    layers = cfg.get("num_hidden_layers") or cfg.get("encoder_layers") or cfg.get("num_layers")
    return (int(hidden), int(layers)) if hidden and layers else None


def training_samples(hp: dict[str, Any], dataset_size: int) -> float:
    """Samples processed over the whole run."""
    if "max_steps" in hp:
        return float(hp["max_steps"]) * hp.get("batch_size", 1) * hp.get("gradient_accumulation", 1)
    return float(hp.get("epochs", 1)) * max(1, dataset_size)


def steps_for(hp: dict[str, Any], dataset_size: int) -> int:
    """Optimizer steps of the run."""
    per_step = hp.get("batch_size", 1) * hp.get("gradient_accumulation", 1)
    return max(1, math.ceil(training_samples(hp, dataset_size) / per_step))
