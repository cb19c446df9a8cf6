"""What the audio, video and multimodal recipes share: model source, Trainer arguments, LoRA, artefacts.

Every one of these recipes trains through transformers' ``Trainer`` run by
``omnitune.recipes.hf_trainer_run.run_trainer`` (events, stop control, atomic checkpoints, resume);
this module only turns a ``RecipeContext`` into the pieces each recipe hands to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.types import Method

BASE_DIR = "base"  # where a LoRA artefact keeps its from-config base model, so it reloads offline


@dataclass
class ModelRef:
    """A model to load (``ref``: Hub id or directory) or to build from a tiny config (``tiny``)."""

    ref: str | None
    tiny: dict[str, Any] | None = field(default=None)


def resolve_model(ctx: RecipeContext) -> ModelRef:
    """``ctx.extra['from_config']``, a catalog entry's ``from_config``, its Hub id, or the id as given."""
    if ctx.extra.get("from_config") is not None:
        return ModelRef(None, dict(ctx.extra["from_config"]))
    from omnitune.catalog.entries import get_model

    model_id = ctx.model.base_model
    if Path(model_id).expanduser().is_dir():
        return ModelRef(str(Path(model_id).expanduser()))
    try:
        entry = get_model(model_id)
    except KeyError:
        return ModelRef(model_id)  # a Hub id the catalog does not list
    if entry.from_config is not None:
        return ModelRef(None, dict(entry.from_config))
    return ModelRef(entry.hub_id or entry.id)


def config_values(defaults: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any]:
    """A tiny model's config fields: ``defaults`` updated by a ``from_config`` (sub)dict, minus model_type.

    Catalog entries write ``from_config`` like a Hub config (``model_type`` + fields, nested sections
    for composite models); the tiny builders own the model class, so ``model_type`` is not needed.
    """
    return {**defaults, **{k: v for k, v in (given or {}).items() if k != "model_type"}}


def hyperparameters(ctx: RecipeContext, defaults: dict[str, Any]) -> dict[str, Any]:
    """The recipe's defaults overridden by the plan's hyperparameters."""
    return {**defaults, **ctx.hyperparameters}


def training_arguments(ctx: RecipeContext, hp: dict[str, Any], args_cls: Any = None, **overrides: Any) -> Any:
    """``TrainingArguments`` (or ``args_cls``, e.g. trl's SFTConfig) from the plan: a log line per step."""
    from transformers import TrainingArguments

    on_cuda = ctx.device.startswith("cuda")
    values: dict[str, Any] = dict(
        output_dir=str(ctx.checkpoints_dir / "trainer"),
        learning_rate=float(hp["learning_rate"]),
        per_device_train_batch_size=int(hp["batch_size"]),
        gradient_accumulation_steps=int(hp.get("gradient_accumulation", 1)),
        num_train_epochs=float(hp.get("epochs", 1)),
        max_steps=int(ctx.max_steps or hp.get("max_steps") or -1),
        lr_scheduler_type=str(hp.get("lr_scheduler", "constant")),
        warmup_steps=int(hp.get("warmup_steps", 0)),
        weight_decay=float(hp.get("weight_decay", 0.0)),
        max_grad_norm=float(hp.get("max_grad_norm", 1.0)),
        activation_checkpointing=bool(hp.get("gradient_checkpointing", False)),
        bf16=on_cuda and hp.get("precision") == "bf16",
        fp16=on_cuda and hp.get("precision") == "fp16",
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        seed=ctx.seed,
        data_seed=ctx.seed,
        use_cpu=not on_cuda,
        disable_tqdm=True,
        remove_unused_columns=False,
        dataloader_num_workers=0,
    )
    values.update(overrides)
    return (args_cls or TrainingArguments)(**values)


def uses_lora(ctx: RecipeContext) -> bool:
    """True when the plan asks for a LoRA (or QLoRA, trained here as LoRA) adapter."""
    return ctx.model.method in (Method.LORA, Method.QLORA)


def add_lora(model: Any, hp: dict[str, Any], target_modules: list[str] | str) -> Any:
    """Wrap ``model`` in a peft LoRA adapter on ``target_modules``; only the adapter trains."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=int(hp.get("lora_r", 8)),
        lora_alpha=int(hp.get("lora_alpha", 16)),
        lora_dropout=float(hp.get("lora_dropout", 0.0)),
        target_modules=target_modules,
    )
    return get_peft_model(model, config)


def save_transformers_artefact(model: Any, processor: Any, out: Path, from_config: bool) -> Path:
    """Save weights (or the peft adapter) + processor with ``save_pretrained``; keep a tiny base beside."""
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    if from_config and hasattr(model, "peft_config"):
        # A from-config base exists nowhere else: keep it (without the adapter) so the adapter reloads.
        base_of(model).save_pretrained(out / BASE_DIR)
    return out


def base_of(peft_model: Any) -> Any:
    """A copy of a peft model's base model without its LoRA layers (the weights it was trained from)."""
    base = peft_model.get_base_model()
    state = {k.replace(".base_layer", ""): v for k, v in base.state_dict().items() if "lora_" not in k}
    fresh = type(base)(base.config)
    fresh.load_state_dict(state)
    return fresh


def load_transformers_artefact(model_cls: Any, out: Path) -> Any:
    """Reload what ``save_transformers_artefact`` wrote: full weights, or base + peft adapter."""
    if not (out / "adapter_config.json").is_file():
        return model_cls.from_pretrained(out)
    from peft import PeftConfig, PeftModel

    base_ref = (
        out / BASE_DIR
        if (out / BASE_DIR).is_dir()
        else PeftConfig.from_pretrained(str(out)).base_model_name_or_path
    )
    return PeftModel.from_pretrained(model_cls.from_pretrained(base_ref), out)


class StepRates(TrainerCallback):
    """Adds ``eta_s`` to each step's log line before run_trainer's bridge emits it as ``metrics``.

    The bridge itself adds ``lr`` and ``samples_per_s``; given to the Trainer at construction, this
    callback runs before it on the same log dict.
    """

    def __init__(self) -> None:
        self._started = 0.0
        self._step_seconds: list[float] = []

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Time the previous step."""
        now = time.perf_counter()
        if self._started:
            self._step_seconds.append(now - self._started)
        self._started = now

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        """Estimate the time left from the mean of the last ten steps."""
        if logs is None or "loss" not in logs:
            return
        recent = [*self._step_seconds[-9:], time.perf_counter() - self._started if self._started else 0.0]
        logs["eta_s"] = sum(recent) / len(recent) * max(0, state.max_steps - state.global_step)


def trainer_callbacks() -> list[Any]:
    """Callbacks every media recipe's Trainer gets (the ETA in the ``metrics`` events)."""
    return [StepRates()]


class RowsDataset:
    """A list of prepared examples as a map-style dataset for ``Trainer``."""

    def __init__(self, examples: list[dict[str, Any]]) -> None:
        self.examples = examples

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.examples[index]


def label_maps(labels: list[str]) -> dict[str, Any]:
    """The ``num_labels`` / ``id2label`` / ``label2id`` config values of a classifier for ``labels``."""
    return dict(
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )


def with_new_head(model_cls: Any, ref: str, labels: list[str]) -> Any:
    """A Hub/local classification checkpoint whose head is replaced by a fresh one for ``labels``."""
    return model_cls.from_pretrained(ref, **label_maps(labels), ignore_mismatched_sizes=True)


def fit_classifier(
    ctx: RecipeContext,
    hp: dict[str, Any],
    model: Any,
    processor: Any,
    train_examples: list[dict[str, Any]],
    collate: Callable[[list[dict[str, Any]]], dict[str, Any]],
    evaluate: Callable[[], float],
) -> RecipeResult:
    """Train with Trainer; report held-out accuracy before/after; save model + processor."""
    from transformers import Trainer

    from omnitune.recipes.hf_trainer_run import run_trainer

    before = evaluate()
    trainer = Trainer(
        model=model,
        args=training_arguments(ctx, hp),
        train_dataset=RowsDataset(train_examples),
        callbacks=trainer_callbacks(),
        data_collator=collate,
    )
    outcome = run_trainer(ctx, trainer)
    if outcome.result is not None:
        return outcome.result
    after = evaluate()
    model.save_pretrained(ctx.output_dir)
    processor.save_pretrained(ctx.output_dir)
    metrics = {"accuracy_before": before, "accuracy_after": after, **outcome.metrics}
    ctx.events.emit("evaluation", **metrics)
    return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)
