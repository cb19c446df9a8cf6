"""Text classification: the pretrained MiniLM encoder plus a fresh head, fine-tuned with the Trainer.

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: text_classification`.
Data: family `classification`, records {"text": str, "label": str}; held-out = validation split, else 20%.
Reports accuracy and loss on the held-out records before and after, and a zero-shot nearest-centroid
baseline from the frozen pretrained embeddings, so the gain from fine-tuning is visible.
"""

from __future__ import annotations

from typing import Any

import torch

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.hf_trainer_run import run_trainer
from omnitune.recipes.llm.finetuning import configure_threads
from omnitune.recipes.llm.models import load_model_and_tokenizer
from omnitune.recipes.text.records import Record, require_fields, train_and_heldout
from omnitune.types import DataFamily, Method, Modality

DEFAULTS: dict[str, Any] = {"learning_rate": 5e-5, "batch_size": 16, "epochs": 3, "seq_len": 128}


class TextClassificationRecipe:
    """Fine-tune an encoder with a sequence-classification head on labelled text."""

    key = "text_classification"
    modality = Modality.LLM
    methods = frozenset({Method.CLASSIFICATION, Method.FULL_FINETUNE})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train, report accuracy before/after on held-out text, save model + tokenizer."""
        hp = {**DEFAULTS, **ctx.hyperparameters}
        torch.manual_seed(ctx.seed)
        configure_threads(ctx.device, hp, ctx.checkpoints_dir)
        train, held = train_and_heldout(ctx.data_dir, DataFamily.CLASSIFICATION, ctx.seed)
        labels = _label_vocabulary(train, held)
        label_ids = {label: i for i, label in enumerate(labels)}
        model, tokenizer = load_model_and_tokenizer(
            ctx.model.base_model,
            train_texts=[r["text"] for r in train],
            for_classification=True,
            num_labels=len(labels),
            seed=ctx.seed,
            model_kwargs={"id2label": dict(enumerate(labels)), "label2id": label_ids},
        )
        before = evaluate(model, tokenizer, held, label_ids, hp["seq_len"])
        before["centroid_accuracy"] = nearest_centroid_accuracy(model, tokenizer, train, held, hp["seq_len"])
        dataset = _encode(train, tokenizer, label_ids, hp["seq_len"])
        outcome = run_trainer(ctx, _make_trainer(ctx, hp, model, tokenizer, dataset))
        if outcome.result is not None:
            return outcome.result
        after = evaluate(model, tokenizer, held, label_ids, hp["seq_len"])
        ctx.output_dir.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(ctx.output_dir)
        tokenizer.save_pretrained(ctx.output_dir)
        metrics = {
            "accuracy_before": before["accuracy"],
            "accuracy_after": after["accuracy"],
            "eval_loss_before": before["loss"],
            "eval_loss_after": after["loss"],
            "centroid_accuracy": before["centroid_accuracy"],
            "num_labels": float(len(labels)),
            **outcome.metrics,
        }
        ctx.events.emit("evaluation", **metrics)
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def _label_vocabulary(train: list[Record], held: list[Record]) -> list[str]:
    require_fields(train, ("text", "label"), "train")
    require_fields(held, ("text", "label"), "held-out")
    labels = sorted({str(r["label"]) for r in train})
    unseen = sorted({str(r["label"]) for r in held} - set(labels))
    if len(labels) < 2:
        raise ValueError(f"classification needs at least 2 labels in train; found {labels}")
    if unseen:
        raise ValueError(f"held-out labels {unseen} never occur in train; add examples of them to train")
    return labels


def _encode(records: list[Record], tokenizer: Any, label_ids: dict[str, int], seq_len: int) -> Any:
    from datasets import Dataset

    encoded = tokenizer([r["text"] for r in records], truncation=True, max_length=seq_len)
    encoded["labels"] = [label_ids[str(r["label"])] for r in records]
    return Dataset.from_dict(dict(encoded))


def _make_trainer(ctx: RecipeContext, hp: dict[str, Any], model: Any, tokenizer: Any, dataset: Any) -> Any:
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    args = TrainingArguments(
        output_dir=str(ctx.checkpoints_dir / "trainer"),
        learning_rate=float(hp["learning_rate"]),
        per_device_train_batch_size=int(hp["batch_size"]),
        num_train_epochs=float(hp["epochs"]),
        max_steps=int(ctx.max_steps or hp.get("max_steps") or -1),
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        seed=ctx.seed,
        use_cpu=ctx.device == "cpu",
        disable_tqdm=True,
    )
    collator = DataCollatorWithPadding(tokenizer)
    return Trainer(model=model, args=args, train_dataset=dataset, data_collator=collator)


@torch.no_grad()
def evaluate(
    model: Any, tokenizer: Any, records: list[Record], label_ids: dict[str, int], seq_len: int
) -> dict[str, float]:
    """Accuracy and mean cross-entropy of ``model`` on labelled ``records``."""
    model.eval()
    correct, loss_sum = 0, 0.0
    for start in range(0, len(records), 32):
        batch = records[start : start + 32]
        inputs = tokenizer(
            [r["text"] for r in batch], truncation=True, max_length=seq_len, padding=True, return_tensors="pt"
        ).to(model.device)
        targets = torch.tensor([label_ids[str(r["label"])] for r in batch], device=model.device)
        logits = model(**inputs).logits
        loss_sum += float(torch.nn.functional.cross_entropy(logits, targets, reduction="sum"))
        correct += int((logits.argmax(-1) == targets).sum())
    return {"accuracy": correct / len(records), "loss": loss_sum / len(records)}


@torch.no_grad()
def nearest_centroid_accuracy(
    model: Any, tokenizer: Any, train: list[Record], held: list[Record], seq_len: int
) -> float:
    """Zero-shot baseline: label each held-out text by the closest mean train embedding per label."""
    encoder = model.base_model
    train_vecs = _mean_pooled(encoder, tokenizer, [r["text"] for r in train], seq_len)
    held_vecs = _mean_pooled(encoder, tokenizer, [r["text"] for r in held], seq_len)
    labels = sorted({str(r["label"]) for r in train})
    train_labels = [str(r["label"]) for r in train]
    centroids = torch.stack(
        [train_vecs[[i for i, y in enumerate(train_labels) if y == label]].mean(0) for label in labels]
    )
    centroids = torch.nn.functional.normalize(centroids, dim=-1)
    predicted = (held_vecs @ centroids.T).argmax(-1).tolist()
    return sum(labels[p] == str(r["label"]) for p, r in zip(predicted, held, strict=True)) / len(held)


def _mean_pooled(encoder: Any, tokenizer: Any, texts: list[str], seq_len: int) -> torch.Tensor:
    encoder.eval()
    chunks = []
    for start in range(0, len(texts), 32):
        inputs = tokenizer(
            texts[start : start + 32], truncation=True, max_length=seq_len, padding=True, return_tensors="pt"
        ).to(encoder.device)
        hidden = encoder(**inputs).last_hidden_state
        mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        chunks.append(torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1))
    return torch.cat(chunks)
