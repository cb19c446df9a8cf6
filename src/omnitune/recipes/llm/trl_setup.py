"""What the trl-based LLM recipes (preference, reward, rl, distill) share: data, policy, arguments, artefact.

Each recipe stays a readable file of its own; this holds only the steps that are the same for all.
"""

from __future__ import annotations

import random
from typing import Any

from omnitune.recipes.base import RecipeContext
from omnitune.recipes.llm import finetuning as ft
from omnitune.recipes.llm.artefacts import save_artefact
from omnitune.recipes.llm.models import load_model_and_tokenizer, resolve_model_source
from omnitune.recipes.llm.sft_data import read_records

Record = dict[str, Any]
# A from-config tokenizer learns its merges from every message of these fields.
MESSAGE_FIELDS = ("messages", "prompt", "chosen", "rejected", "completion")


def read_splits(ctx: RecipeContext, hp: dict[str, Any]) -> tuple[list[Record], list[Record]]:
    """Train and held-out records: the validation split, else a seeded 20% (≥ 10 records), else train."""
    train = read_records(ctx.data_dir, "train")
    if not train:
        raise ValueError(f"{ctx.data_dir}: the train split is empty or missing")
    held = read_records(ctx.data_dir, "validation")
    if not held and len(train) >= 10:
        shuffled = random.Random(ctx.seed).sample(train, len(train))
        cut = max(2, len(train) // 5)
        train, held = shuffled[cut:], shuffled[:cut]
    limit = int(hp.get("eval_max_examples", 256))
    return train, (held or train)[:limit]


def message_texts(records: list[Record]) -> list[str]:
    """Role and content of every message in ``records`` (what a from-config tokenizer trains on)."""
    texts = []
    for record in records:
        for name in MESSAGE_FIELDS:
            value = record.get(name)
            if isinstance(value, str):
                texts.append(value)
            elif isinstance(value, list):
                texts.extend(f"{m.get('role', '')}\n{m.get('content', '')}" for m in value)
    return texts


def uses_adapter(hp: dict[str, Any]) -> bool:
    """LoRA when the plan sets ``lora_r`` (as llm_sft does); otherwise full weights."""
    return "lora_r" in hp


def load_policy(ctx: RecipeContext, texts: list[str], **kwargs: Any) -> tuple[Any, Any]:
    """The model to train and its tokenizer; an adapter artefact as base is merged first."""
    model, tokenizer = load_model_and_tokenizer(
        ctx.model.base_model, train_texts=texts, seed=ctx.seed, **kwargs
    )
    merge = getattr(model, "merge_and_unload", None)
    if callable(merge):  # e.g. an SFT LoRA output: train on the merged weights
        model = merge()
    return model, tokenizer


def peft_config(hp: dict[str, Any], task_type: str = "CAUSAL_LM") -> Any:
    """The LoRA config trl should apply, or None for full fine-tuning."""
    return ft.lora_config(hp, task_type) if uses_adapter(hp) else None


def trainer_kwargs(ctx: RecipeContext, hp: dict[str, Any], default_lr: float) -> dict[str, Any]:
    """TrainingArguments fields every recipe sets the same way (logging every step, no own saves)."""
    return {
        "output_dir": str(ctx.checkpoints_dir / "trainer"),
        "learning_rate": float(hp.get("learning_rate", default_lr)),
        "per_device_train_batch_size": int(hp.get("batch_size", 4)),
        "per_device_eval_batch_size": int(hp.get("batch_size", 4)),
        "gradient_accumulation_steps": int(hp.get("gradient_accumulation", 1)),
        "num_train_epochs": float(hp.get("epochs", 1)),
        "max_steps": int(ctx.max_steps or hp.get("max_steps") or -1),
        # transformers reads a warmup_steps below 1 as a fraction of all steps (the presets' warmup_ratio)
        "warmup_steps": float(hp.get("warmup_steps", hp.get("warmup_ratio", 0))),
        "optim": str(hp.get("optimizer", "adamw_torch")),
        "lr_scheduler_type": str(hp.get("lr_scheduler", "linear")),
        "logging_steps": 1,
        "save_strategy": "no",  # checkpoints are ours: atomic, on pause/budget (hf_trainer_run)
        "report_to": [],
        "seed": ctx.seed,
        "data_seed": ctx.seed,
        "use_cpu": ctx.device == "cpu",
        "bf16": ft.use_bf16(ctx.device, hp),
        "gradient_checkpointing": bool(hp.get("gradient_checkpointing", False)),
        "disable_tqdm": True,
    }


def evaluate_as(trainer: Any, suffix: str, keep: dict[str, str]) -> dict[str, float]:
    """Evaluate on the trainer's eval set; rename the metrics in ``keep`` (eval key -> name_suffix)."""
    found = trainer.evaluate()
    if "eval_rewards/margins" not in found and "eval_rewards/chosen" in found:
        # KTO averages chosen and rejected rewards separately (its batches need not hold both)
        found["eval_rewards/margins"] = found["eval_rewards/chosen"] - found.get("eval_rewards/rejected", 0.0)
    return {f"{name}_{suffix}": float(found[key]) for key, name in keep.items() if key in found}


def save_policy(
    ctx: RecipeContext, model: Any, tokenizer: Any, hp: dict[str, Any], recipe: str, metrics: dict[str, float]
) -> None:
    """Save in the llm_sft layout: weights or adapter (+ merged/ and base/) + tokenizer."""
    adapter = uses_adapter(hp) and hasattr(model, "peft_config")
    from_config = resolve_model_source(ctx.model.base_model).kind == "config"
    save_artefact(
        model,
        tokenizer,
        ctx.output_dir,
        base_model=ctx.model.base_model,
        adapter=adapter,
        save_base=adapter and from_config,
        save_merged=adapter and bool(hp.get("save_merged", from_config)),
        summary={"method": ctx.model.method.value, "recipe": recipe, "metrics": metrics},
    )
