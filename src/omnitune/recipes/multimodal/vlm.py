"""Vision-language SFT: trl's SFTTrainer over an ``AutoModelForImageTextToText`` (LoRA or full).

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: vlm_sft`.
Data: family `image`, records {"file_name": rel path, "question": str (optional), "answer": str
(optional, default: "text")}; a record without a question is asked ``default_question``. Each becomes
a conversational prompt-completion pair with its image; the loss covers the answer only.
Reports held-out answer loss and exact-match answer accuracy (greedy) before and after training.
"""

from __future__ import annotations

import re
from typing import Any

import torch

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.hf_trainer_run import run_trainer
from omnitune.recipes.media_inputs import Row, load_rgb, require, train_and_heldout
from omnitune.recipes.media_training import (
    add_lora,
    hyperparameters,
    resolve_model,
    save_transformers_artefact,
    trainer_callbacks,
    training_arguments,
    uses_lora,
)
from omnitune.types import Method, Modality

DEFAULTS: dict[str, Any] = {
    "learning_rate": 2e-5,
    "batch_size": 4,
    "epochs": 3,
    "default_question": "Describe the image.",
    "freeze_vision": True,
    "max_new_tokens": 32,
}
LANGUAGE_LORA_TARGETS = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj)"


class VlmSftRecipe:
    """Supervised fine-tuning of a vision-language model on image question/answer pairs."""

    key = "vlm_sft"
    modality = Modality.MULTIMODAL
    methods = frozenset({Method.SFT, Method.LORA, Method.FULL_FINETUNE})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train, report held-out loss and answer accuracy before/after; save model or adapter + processor."""
        from trl import SFTConfig, SFTTrainer
        from trl.trainer.sft_trainer import DataCollatorForVisionLanguageModeling

        hp = hyperparameters(ctx, DEFAULTS)
        torch.manual_seed(ctx.seed)
        train, held = train_and_heldout(ctx.data_dir, ctx.seed)
        require(train + held, ("file_name",), "vlm_sft")
        train_ex, held_ex = (qa_examples(ctx, rows, hp) for rows in (train, held))
        model, processor, from_config = load_vlm(ctx, train_ex + held_ex)
        collator = DataCollatorForVisionLanguageModeling(processor, completion_only_loss=True)
        before = evaluate(model, processor, collator, held_ex, hp)
        model = _trainable(model, ctx, hp)
        args = training_arguments(ctx, hp, SFTConfig, max_length=None)  # never cut image tokens
        trainer = SFTTrainer(
            model=model,
            args=args,
            train_dataset=_dataset(train_ex),
            processing_class=processor,
            callbacks=trainer_callbacks(),
            data_collator=collator,
        )
        outcome = run_trainer(ctx, trainer)
        if outcome.result is not None:
            return outcome.result
        after = evaluate(model, processor, collator, held_ex, hp)
        save_transformers_artefact(model, processor, ctx.output_dir, from_config)
        metrics = {f"{k}_before": v for k, v in before.items()} | {f"{k}_after": v for k, v in after.items()}
        metrics |= outcome.metrics
        ctx.events.emit("evaluation", **metrics)
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def qa_examples(ctx: RecipeContext, rows: list[Row], hp: dict[str, Any]) -> list[dict[str, Any]]:
    """Conversational prompt-completion examples with their image (trl's vision data layout)."""
    out = []
    for number, row in enumerate(rows, start=1):
        answer = row.get("answer") or row.get("text")
        if not answer:
            raise ValueError(f"vlm_sft record {number}: needs an 'answer' (or a caption in 'text')")
        question = str(row.get("question") or hp["default_question"])
        out.append(
            {
                "images": [load_rgb(ctx.data_dir, row["file_name"])],
                "prompt": [
                    {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}
                ],
                "completion": [{"role": "assistant", "content": [{"type": "text", "text": str(answer)}]}],
            }
        )
    return out


def load_vlm(ctx: RecipeContext, examples: list[dict[str, Any]]) -> tuple[Any, Any, bool]:
    """(model, processor, built_from_config): a tiny LLaVA, or any Hub/local image-text-to-text model."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from omnitune.recipes.multimodal.tiny_models import tiny_llava

    source = resolve_model(ctx)
    if source.tiny is not None:
        texts = [
            part["text"]
            for e in examples
            for turn in e["prompt"] + e["completion"]
            for part in turn["content"]
            if part["type"] == "text"
        ]
        model, processor = tiny_llava(source.tiny, texts)
        return model, processor, True
    ref = str(source.ref)
    return AutoModelForImageTextToText.from_pretrained(ref), AutoProcessor.from_pretrained(ref), False


def _trainable(model: Any, ctx: RecipeContext, hp: dict[str, Any]) -> Any:
    if uses_lora(ctx):
        return add_lora(model, hp, LANGUAGE_LORA_TARGETS)
    if hp["freeze_vision"]:  # the vision tower is already aligned; SFT adapts the projector and the LM
        model.model.vision_tower.requires_grad_(False)
    return model


def _dataset(examples: list[dict[str, Any]]) -> Any:
    from datasets import Dataset

    return Dataset.from_list(examples)


@torch.no_grad()
def evaluate(
    model: Any, processor: Any, collator: Any, examples: list[dict[str, Any]], hp: dict[str, Any]
) -> dict[str, float]:
    """Held-out answer loss (teacher-forced) and exact-match accuracy of greedy answers."""
    model.eval()
    losses, correct = [], 0
    for example in examples:
        batch = collator([dict(example)])
        losses.append(float(model(**{k: v.to(model.device) for k, v in batch.items()}).loss))
        prompt = processor.apply_chat_template(example["prompt"], add_generation_prompt=True)
        inputs = processor(images=example["images"], text=[prompt], return_tensors="pt").to(model.device)
        ids = model.generate(**inputs, max_new_tokens=int(hp["max_new_tokens"]), do_sample=False)
        answer = processor.batch_decode(ids[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)[0]
        correct += _normalise(answer) == _normalise(example["completion"][0]["content"][0]["text"])
    model.train()
    return {"eval_loss": sum(losses) / len(losses), "answer_accuracy": correct / len(examples)}


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()
