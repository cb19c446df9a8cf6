"""Adapting a preset to the model (random-init or pretrained), the data found and the CPU.

Each function edits the hyperparameters in place and returns one-line reasons for the plan's
`training.adjustments`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from omnitune.catalog.entries import CatalogModel
from omnitune.plan.presets import FULL_METHODS
from omnitune.types import Method, RecipeKey

MIN_STEPS_PER_EPOCH = 8  # fewer optimiser steps than this per epoch and the schedule barely moves
MIN_TOTAL_STEPS = 100  # on small data, repeat epochs until the run has at least this many steps
MAX_EPOCHS = {"pretrained": 5, "scratch": 30}  # past this, small data is memorised, not learned
SEQ_ROUND = 64  # sequence lengths are multiples of 64 (tensor-core and kernel friendly)
WORDS_TO_TOKENS = 1.5  # subword tokens per whitespace word (BPE on English text with punctuation)
TEMPLATE_TOKENS = 16  # chat-template role markers and special tokens per example
PRETRAINED_TEMPLATE_TOKENS = 64  # real chat templates add a system header (Llama 3.1: ~30 tokens)
TINY_PARAMS_B = 0.05  # models up to ~50M parameters train in minutes on a CPU
CPU_MAX_BATCH = 8  # beyond this a CPU step gets slow with no gain on small models
SEQUENCE_RECIPES = frozenset({RecipeKey.LLM_SFT, RecipeKey.VLM_SFT, RecipeKey.LLM_DISTILL})
_IMAGE_SAMPLES = {"validation_steps_inference": (20, 8)}  # key: (recipe default, CPU cap)
CPU_GENERATION = {  # generation the recipes do besides training (samples, class images), capped on a CPU
    RecipeKey.IMAGE_LORA: _IMAGE_SAMPLES,
    RecipeKey.IMAGE_TEXTUAL_INVERSION: _IMAGE_SAMPLES,
    RecipeKey.IMAGE_CONTROLNET: _IMAGE_SAMPLES,
    RecipeKey.IMAGE_DREAMBOOTH: {
        **_IMAGE_SAMPLES,
        "class_inference_steps": (25, 8),
        "num_class_images": (100, 16),
    },
    RecipeKey.VIDEO_LORA: {"sample_steps": (30, 8)},
}


@dataclass(frozen=True)
class DataShape:
    """What inspecting the data found that sizes a run."""

    samples: int
    train_samples: int
    token_p99: int | None = None  # longest examples' content, in model tokens (estimated)
    tokens_total: int | None = None  # all train examples' content, in model tokens (estimated)

    def with_template(self, model: CatalogModel) -> DataShape:
        """Counts including the chat template's tokens, which depend on the model."""
        extra = TEMPLATE_TOKENS if from_scratch(model) else PRETRAINED_TEMPLATE_TOKENS
        if self.token_p99 is None or self.tokens_total is None:
            return self
        total = self.tokens_total + extra * self.train_samples
        return DataShape(self.samples, self.train_samples, self.token_p99 + extra, total)

    @classmethod
    def from_stats(cls, samples: int, stats: dict[str, Any]) -> DataShape:
        """Read the inspection statistics (whitespace counts become estimated subword tokens)."""
        train = int(stats.get("train_records") or samples)
        tokens = stats.get("tokens") if isinstance(stats.get("tokens"), dict) else None
        if not tokens or "p99" not in tokens:
            return cls(samples, train)
        scale = WORDS_TO_TOKENS if stats.get("tokenizer") == "whitespace" else 1.0
        p99 = math.ceil(float(tokens["p99"]) * scale)
        per_epoch = float(stats.get("tokens_per_epoch") or tokens.get("total", 0))
        total = math.ceil(per_epoch * scale)
        return cls(samples, train, p99, total)


def from_scratch(model: CatalogModel, method: Method | None = None) -> bool:
    """True when the weights start random: catalog models built from a config, or pretraining."""
    return model.from_config is not None or method is Method.PRETRAINING


def tiny(model: CatalogModel) -> bool:
    """Small enough to train on this machine's CPU (from-config models, the bundled MiniLM)."""
    return model.from_config is not None or (model.min_vram_gb == 0 and model.params_b <= TINY_PARAMS_B)


def scratch_learning_rate(model: CatalogModel) -> float:
    """Peak lr for a randomly initialised model: smaller models take larger steps (GPT-3 table)."""
    if model.params_b <= 0.01:
        return 3e-3  # a few-million-parameter transformer (what the tiny catalog entries build)
    if model.params_b <= 0.2:
        return 6e-4
    return 3e-4


def adapt_to_model(model: CatalogModel, method: Method, hp: dict[str, Any]) -> list[str]:
    """Random-init models need a from-scratch learning rate; models train at the size built for."""
    notes = _fit_context(model, hp) + _native_media_size(model, hp)
    if not from_scratch(model, method) or "learning_rate" not in hp:
        return notes
    lr = scratch_learning_rate(model)
    if lr <= float(hp["learning_rate"]):
        return notes
    before = hp["learning_rate"]
    hp["learning_rate"] = lr
    why = "adapters on random weights" if method not in FULL_METHODS else "training from scratch"
    return [*notes, f"learning rate {before:g}->{lr:g}: {model.id} starts from random weights ({why})"]


def _fit_context(model: CatalogModel, hp: dict[str, Any]) -> list[str]:
    """A sequence longer than the model's position table cannot be trained."""
    context = _context_length(model)
    if not context or int(hp.get("seq_len", 0)) <= context:
        return []
    before, hp["seq_len"] = hp["seq_len"], context
    return [f"seq_len {before}->{context}: {model.id} has {context} positions"]


def _native_media_size(model: CatalogModel, hp: dict[str, Any]) -> list[str]:
    """A from-config model's own resolution and frame count replace the preset's (1024px, 49 frames)."""
    cfg = model.from_config or {}
    native = {
        "resolution": cfg.get("resolution")
        or cfg.get("image_size")
        or (cfg.get("vision_config") or {}).get("image_size"),
        "num_frames": cfg.get("num_frames"),
    }
    notes = []
    for key, value in native.items():
        if value and key in hp and hp[key] != value:
            notes.append(f"{key} {hp[key]}->{value}: {model.id} is built for {value}")
            hp[key] = value
    return notes


def adapt_to_data(model: CatalogModel, recipe: RecipeKey, hp: dict[str, Any], shape: DataShape) -> list[str]:
    """Sequence length from the data's p99, batch x accumulation and epochs from its size."""
    shape = shape.with_template(model)
    notes = _sequence_length(model, recipe, hp, shape)
    if "epochs" not in hp:
        return notes  # step-based recipes (diffusion, TTS) size their runs in steps already
    rows = _rows_per_epoch(hp, shape)
    notes += _effective_batch(hp, rows)
    return notes + _epochs(model, hp, rows)


def _sequence_length(
    model: CatalogModel, recipe: RecipeKey, hp: dict[str, Any], shape: DataShape
) -> list[str]:
    if recipe not in SEQUENCE_RECIPES or "seq_len" not in hp or shape.token_p99 is None:
        return []
    context = _context_length(model)
    wanted = SEQ_ROUND * math.ceil(shape.token_p99 / SEQ_ROUND)
    new = min(wanted, context) if context else wanted
    if new >= int(hp["seq_len"]):
        return []
    before, hp["seq_len"] = hp["seq_len"], new
    cap = f", capped by the model's context {context}" if context and wanted > context else ""
    return [f"seq_len {before}->{new}: the data's p99 is ~{shape.token_p99} tokens{cap}"]


def _context_length(model: CatalogModel) -> int | None:
    cfg = model.from_config or {}
    text = cfg.get("text_config") or {}
    found = cfg.get("max_position_embeddings") or text.get("max_position_embeddings")
    return int(found) if found else None


def _rows_per_epoch(hp: dict[str, Any], shape: DataShape) -> int:
    """Training rows per epoch: packed blocks when packing, else examples."""
    if hp.get("packing") and shape.tokens_total and "seq_len" in hp:
        return max(1, math.ceil(shape.tokens_total / int(hp["seq_len"])))
    return max(1, shape.train_samples)


def _effective_batch(hp: dict[str, Any], rows: int) -> list[str]:
    """Fewer accumulated (then per-device) samples per step, for >= 8 steps an epoch."""
    if "gradient_accumulation" not in hp:
        return []  # classifier/embedding recipes: the batch is tuned with their lr (and in-batch negatives)
    batch = int(hp.get("batch_size", 1))
    accum = int(hp.get("gradient_accumulation", 1))
    if rows >= MIN_STEPS_PER_EPOCH * batch * accum:
        return []
    effective = max(1, rows // MIN_STEPS_PER_EPOCH)
    new_batch = min(batch, 2 ** int(math.log2(effective)))
    new_accum = max(1, effective // new_batch)
    if (new_batch, new_accum) == (batch, accum):
        return []
    hp["batch_size"], hp["gradient_accumulation"] = new_batch, new_accum
    steps = math.ceil(rows / (new_batch * new_accum))
    return [
        f"batch {batch}x{accum}->{new_batch}x{new_accum}: {rows} training rows per epoch give "
        f"{steps} optimiser steps per epoch instead of {max(1, rows // (batch * accum))}"
    ]


def _epochs(model: CatalogModel, hp: dict[str, Any], rows: int) -> list[str]:
    effective = int(hp.get("batch_size", 1)) * int(hp.get("gradient_accumulation", 1))
    per_epoch = max(1, math.ceil(rows / effective))
    before = float(hp["epochs"])
    cap = MAX_EPOCHS["scratch" if from_scratch(model) else "pretrained"]
    if per_epoch * before >= MIN_TOTAL_STEPS or before >= cap:
        return []
    epochs = min(cap, math.ceil(MIN_TOTAL_STEPS / per_epoch))
    hp["epochs"] = epochs
    return [f"epochs {before:g}->{epochs}: small data ({per_epoch} steps per epoch) needs more passes"]


def adapt_to_cpu(recipe: RecipeKey, method: Method, hp: dict[str, Any]) -> list[str]:
    """CPU runs: no 4-bit, no recomputation (memory is plentiful, time is not), a modest batch."""
    notes = _cpu_generation(recipe, hp)
    if hp.pop("quantization", None):
        notes.append("no 4-bit quantisation: bitsandbytes kernels need CUDA")
    if hp.get("gradient_checkpointing"):
        hp["gradient_checkpointing"] = False
        notes.append("gradient checkpointing off: on a CPU recomputation costs time and memory is ample")
    batch = int(hp.get("batch_size", 1))
    if batch > CPU_MAX_BATCH and "gradient_accumulation" in hp:  # only where the recipe accumulates
        accum = int(hp.get("gradient_accumulation", 1))
        hp["batch_size"] = CPU_MAX_BATCH
        hp["gradient_accumulation"] = max(1, accum * batch // CPU_MAX_BATCH)
        notes.append(f"batch {batch}->{CPU_MAX_BATCH} on the CPU (accumulation keeps the effective batch)")
    return notes


def _cpu_generation(recipe: RecipeKey, hp: dict[str, Any]) -> list[str]:
    """Fewer denoising steps and class images: on a CPU sampling would outlast the training itself."""
    notes = []
    for key, (default, cap) in CPU_GENERATION.get(recipe, {}).items():
        before = int(hp.get(key, default))
        if before > cap:
            hp[key] = cap
            notes.append(f"{key} {before}->{cap}: generation on a CPU is slow (more on a GPU)")
    return notes
