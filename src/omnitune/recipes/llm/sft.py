"""Causal-LM SFT: full, partly frozen, LoRA, QLoRA; continued pretraining; pretraining from scratch.

Run it through the runtime (`omnitune train "..." --data DIR`) or directly, see docs/recipes/llm.md.
Reads a prepared chat or text dataset, measures validation loss, trains with the shared explicit
loop (exact resume; see training_loop.py), measures again and saves the standard artefact.
"""

from __future__ import annotations

import math
import random
from typing import Any

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.llm import finetuning as ft
from omnitune.recipes.llm import sft_data as data
from omnitune.recipes.llm.artefacts import save_artefact
from omnitune.recipes.llm.models import load_model_and_tokenizer, resolve_model_source
from omnitune.recipes.llm.train_state import Progress, load_checkpoint, resolve_checkpoint
from omnitune.recipes.llm.training_loop import (
    LoopSettings,
    TrainingJob,
    causal_lm_loss,
    evaluate_loss,
    perplexity,
    predicted_tokens,
    run_loop,
)
from omnitune.types import DataFamily, Method, Modality

DEFAULT_LR = {"adapter": 2e-4, "full": 2e-5, "from_scratch": 1e-3}


class SFTRecipe:
    """Causal-LM training on chat (assistant-only loss) or raw text (every token)."""

    key = "llm_sft"
    modality = Modality.LLM
    methods = frozenset(
        {
            Method.SFT,
            Method.FULL_FINETUNE,
            Method.LORA,
            Method.QLORA,
            Method.CONTINUED_PRETRAINING,
            Method.PRETRAINING,
        }
    )

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train ``ctx.model`` on ``ctx.data_dir``; resume from ``ctx.resume_from`` when given."""
        hp, method = ctx.hyperparameters, ctx.model.method
        if method not in self.methods:
            raise ValueError(
                f"llm_sft cannot train method {method.value!r}; it trains {_names(self.methods)}"
            )
        _seed_everything(ctx.seed)
        ft.configure_threads(ctx.device, hp, ctx.checkpoints_dir)
        family = data.read_family(ctx.data_dir)
        train_records, val_records = _splits(ctx, hp)
        checkpoint = resolve_checkpoint(ctx.resume_from) if ctx.resume_from else None
        model, tokenizer, adapter = _build_model(ctx, method, hp, family, train_records, checkpoint)
        encode = _encoder(tokenizer, family, method, hp, model)
        train, val = encode(train_records), encode(val_records)
        if not train:
            raise ValueError(f"{ctx.data_dir}: no trainable tokens (no record has an assistant reply)")
        settings = _loop_settings(ctx, hp, len(train), adapter)
        job = _training_job(ctx, hp, model, tokenizer, train, val, settings, adapter)
        progress = _start_progress(ctx, job, checkpoint, settings)
        status = run_loop(ctx, job, progress)
        metrics = _metrics(progress)
        if status != "completed":
            return RecipeResult(status=status, step=progress.step, metrics=metrics)
        after = job.evaluate() if job.evaluate else math.nan
        ctx.events.emit("eval", step=progress.step, eval_loss=after, perplexity=perplexity(after))
        metrics.update(eval_loss_after=after, perplexity_after=perplexity(after))
        source = resolve_model_source(ctx.model.base_model)
        save_artefact(
            model,
            tokenizer,
            ctx.output_dir,
            base_model=ctx.model.base_model,
            adapter=adapter,
            save_base=adapter and source.kind == "config",
            save_merged=adapter
            and method != Method.QLORA
            and bool(hp.get("save_merged", source.kind == "config")),
            summary={"method": method.value, "recipe": self.key, "metrics": metrics, "steps": progress.step},
        )
        return RecipeResult(
            status="completed", step=progress.step, artefact_dir=ctx.output_dir, metrics=metrics
        )


def _names(methods: frozenset[Method]) -> str:
    return ", ".join(sorted(m.value for m in methods))


def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _splits(ctx: RecipeContext, hp: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Train and validation records; without a validation split, a seeded 10% hold-out (≥ 20 records)."""
    train = data.read_records(ctx.data_dir, "train")
    val = data.read_records(ctx.data_dir, "validation")
    if not val and len(train) >= 20:
        shuffled = random.Random(ctx.seed).sample(train, len(train))
        held = max(2, min(len(train) // 10, 200))
        train, val = shuffled[held:], shuffled[:held]
    limit = int(hp.get("eval_max_examples", 512))
    return train, (val or train)[:limit]


def _uses_adapter(method: Method, hp: dict[str, Any]) -> bool:
    if method in ft.ADAPTER_METHODS:
        return True
    return method in (Method.SFT, Method.CONTINUED_PRETRAINING) and "lora_r" in hp


def _build_model(
    ctx: RecipeContext,
    method: Method,
    hp: dict[str, Any],
    family: DataFamily,
    records: list[dict[str, Any]],
    checkpoint: Any,
) -> tuple[Any, Any, bool]:
    """Load the base (QLoRA: 4-bit), then add LoRA or apply freezing; move to the device."""
    from transformers import AutoTokenizer

    saved_tokenizer = AutoTokenizer.from_pretrained(checkpoint / "tokenizer") if checkpoint else None
    source = resolve_model_source(ctx.model.base_model)
    kwargs: dict[str, Any] = {}
    model: Any
    if method == Method.QLORA:
        if source.kind == "config":
            raise ValueError(f"{ctx.model.base_model}: QLoRA quantises pretrained weights; use 'lora' here")
        kwargs = ft.qlora_model_kwargs(ctx.device)
    model, tokenizer = load_model_and_tokenizer(
        ctx.model.base_model,
        train_texts=data.texts_for_tokenizer(records, family),
        tokenizer=saved_tokenizer,
        random_init=method == Method.PRETRAINING,
        model_size=hp.get("model_size") if method == Method.PRETRAINING else None,
        vocab_size=int(hp.get("vocab_size", 2048)),
        seed=ctx.seed,
        model_kwargs=kwargs,
    )
    if method != Method.QLORA:
        model.to(ctx.device)
    enabled = ft.speed_up_for_cuda(model, ctx.device, hp)
    if method == Method.QLORA:
        model = ft.prepare_for_kbit(model, "gradient_checkpointing" in enabled)
    adapter = _uses_adapter(method, hp)
    if adapter:
        model = ft.apply_lora(model, hp)
    else:
        ft.apply_freezing(model, hp)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    ctx.events.emit(
        "setup",
        base_model=ctx.model.base_model,
        method=method.value,
        adapter=adapter,
        parameters=sum(p.numel() for p in model.parameters()),
        trainable_parameters=trainable,
        vocab_size=len(tokenizer),
        speedups=enabled,
    )
    return model, tokenizer, adapter


def _encoder(tokenizer: Any, family: DataFamily, method: Method, hp: dict[str, Any], model: Any) -> Any:
    positions = int(getattr(model.config, "max_position_embeddings", 2048))
    max_len = min(int(hp.get("max_seq_len", hp.get("seq_len", 1024))), positions)
    pretraining = method in (Method.CONTINUED_PRETRAINING, Method.PRETRAINING)
    assistant_only = bool(hp.get("assistant_only_loss", not pretraining))
    packing = bool(hp.get("packing", family == DataFamily.TEXT or pretraining))

    def encode(records: list[dict[str, Any]]) -> list[data.Example]:
        return data.encode_records(
            tokenizer, records, family, max_len=max_len, assistant_only=assistant_only, packing=packing
        )

    return encode


def _loop_settings(ctx: RecipeContext, hp: dict[str, Any], examples: int, adapter: bool) -> LoopSettings:
    batch_size = int(hp.get("batch_size", 8))
    accum = int(hp.get("gradient_accumulation", hp.get("gradient_accumulation_steps", 1)))
    per_epoch = max(1, math.ceil(examples / batch_size) // accum)
    epochs = float(hp.get("epochs", hp.get("num_epochs", 1)))
    max_steps = int(ctx.max_steps or hp.get("max_steps") or max(1, round(per_epoch * epochs)))
    return LoopSettings(
        max_steps=max_steps,
        grad_accum=accum,
        max_grad_norm=float(hp.get("max_grad_norm", 1.0)),
        save_steps=int(hp.get("save_steps", min(500, max(10, max_steps // 5)))),
        eval_steps=int(hp.get("eval_steps", 0)),
        keep_checkpoints=int(hp.get("keep_checkpoints", 2)),
        bf16=ft.use_bf16(ctx.device, hp),
        device=ctx.device,
    )


def _training_job(
    ctx: RecipeContext,
    hp: dict[str, Any],
    model: Any,
    tokenizer: Any,
    train: list[data.Example],
    val: list[data.Example],
    settings: LoopSettings,
    adapter: bool,
) -> TrainingJob:
    from transformers import get_scheduler

    batch_size = int(hp.get("batch_size", 8))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    lengths = [len(e.input_ids) for e in train]
    group = bool(hp.get("group_by_length", True))

    def epoch_batches(epoch: int) -> list[dict[str, Any]]:
        order = data.epoch_batches(lengths, batch_size, ctx.seed, epoch, group)
        return [data.collate([train[i] for i in idx], pad) for idx in order]

    val_sorted = sorted(val, key=lambda e: len(e.input_ids))
    eval_batches = [
        data.collate(val_sorted[i : i + batch_size * 2], pad) for i in range(0, len(val), batch_size * 2)
    ]
    kind = "adapter" if adapter else "full"
    if resolve_model_source(ctx.model.base_model).kind == "config" or ctx.model.method == Method.PRETRAINING:
        kind = "adapter" if adapter else "from_scratch"
    hp_lr = {**hp, "learning_rate": hp.get("learning_rate", DEFAULT_LR[kind])}
    optimizer = ft.make_optimizer([p for p in model.parameters() if p.requires_grad], hp_lr, ctx.device)
    warmup = int(hp.get("warmup_steps", round(float(hp.get("warmup_ratio", 0.03)) * settings.max_steps)))
    scheduler = get_scheduler(
        str(hp.get("lr_scheduler", "cosine")),
        optimizer,
        num_warmup_steps=warmup,
        num_training_steps=settings.max_steps,
    )
    return TrainingJob(
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        epoch_batches=epoch_batches,
        loss_fn=causal_lm_loss,
        items_in=predicted_tokens,
        settings=settings,
        evaluate=(lambda: evaluate_loss(model, eval_batches, settings)) if eval_batches else None,
        tokenizer=tokenizer,
    )


def _start_progress(
    ctx: RecipeContext, job: TrainingJob, checkpoint: Any, settings: LoopSettings
) -> Progress:
    """Fresh progress with the before-training eval, or the checkpoint's restored state."""
    if checkpoint is not None:
        progress = load_checkpoint(checkpoint, job.model, job.optimizer, job.scheduler)
        ctx.events.emit("resumed", step=progress.step, checkpoint=str(checkpoint))
        progress.max_steps = settings.max_steps
        return progress
    before = job.evaluate() if job.evaluate else math.nan
    ctx.events.emit("eval", step=0, eval_loss=before, perplexity=perplexity(before))
    return Progress(max_steps=settings.max_steps, eval_loss_before=before)


def _metrics(progress: Progress) -> dict[str, float]:
    before = progress.eval_loss_before if progress.eval_loss_before is not None else math.nan
    values = {
        "initial_loss": progress.initial_loss,
        "final_loss": progress.last_loss,
        "eval_loss_before": before,
        "perplexity_before": perplexity(before),
        "train_tokens": float(progress.tokens_seen),
        "steps": float(progress.step),
        "train_runtime_s": progress.elapsed_s,
    }
    return {k: float(v) for k, v in values.items() if v is not None}
