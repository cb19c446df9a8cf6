"""Sentence embeddings: contrastive fine-tuning of MiniLM with sentence-transformers' trainer.

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: text_embeddings`.
Data: family `pairs`, records {"anchor": str, "positive": str}; the other positives of a batch are
the negatives (MultipleNegativesRankingLoss). Held-out = validation split, else 20% of the pairs.
Reports retrieval recall@1 and MRR on the held-out pairs (each anchor ranks every held-out
positive) before and after training.
"""

from __future__ import annotations

from typing import Any

import torch

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.hf_trainer_run import run_trainer
from omnitune.recipes.llm.finetuning import configure_threads
from omnitune.recipes.llm.models import resolve_model_source
from omnitune.recipes.text.records import Record, require_fields, train_and_heldout
from omnitune.types import DataFamily, Method, Modality

DEFAULTS: dict[str, Any] = {"learning_rate": 5e-5, "batch_size": 16, "epochs": 1, "seq_len": 128}


class TextEmbeddingsRecipe:
    """Contrastive fine-tune of a sentence-transformers encoder on (anchor, positive) pairs."""

    key = "text_embeddings"
    modality = Modality.LLM
    methods = frozenset({Method.CONTRASTIVE, Method.FULL_FINETUNE})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train, report recall@1/MRR before and after on held-out pairs, save the encoder."""
        from sentence_transformers import SentenceTransformer

        hp = {**DEFAULTS, **ctx.hyperparameters}
        torch.manual_seed(ctx.seed)
        configure_threads(ctx.device, hp, ctx.checkpoints_dir)
        train, held = train_and_heldout(ctx.data_dir, DataFamily.PAIRS, ctx.seed)
        require_fields(train, ("anchor", "positive"), "train")
        require_fields(held, ("anchor", "positive"), "held-out")
        model = SentenceTransformer(resolve_model_source(ctx.model.base_model).ref, device=ctx.device)
        model.max_seq_length = int(hp["seq_len"])
        before = retrieval_scores(model, held)
        outcome = run_trainer(ctx, _make_trainer(ctx, hp, model, train))
        if outcome.result is not None:
            return outcome.result
        after = retrieval_scores(model, held)
        ctx.output_dir.mkdir(parents=True, exist_ok=True)
        model.save(str(ctx.output_dir))
        metrics = {
            "recall_at_1_before": before["recall_at_1"],
            "recall_at_1_after": after["recall_at_1"],
            "mrr_before": before["mrr"],
            "mrr_after": after["mrr"],
            "heldout_pairs": float(len(held)),
            **outcome.metrics,
        }
        ctx.events.emit("evaluation", **metrics)
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def _make_trainer(ctx: RecipeContext, hp: dict[str, Any], model: Any, train: list[Record]) -> Any:
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    dataset = Dataset.from_dict(
        {"anchor": [r["anchor"] for r in train], "positive": [r["positive"] for r in train]}
    )
    args = SentenceTransformerTrainingArguments(
        output_dir=str(ctx.checkpoints_dir / "trainer"),
        learning_rate=float(hp["learning_rate"]),
        per_device_train_batch_size=int(hp["batch_size"]),
        num_train_epochs=float(hp["epochs"]),
        max_steps=int(ctx.max_steps or hp.get("max_steps") or -1),
        batch_sampler="no_duplicates",  # a duplicate in a batch would be a false negative
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        seed=ctx.seed,
        use_cpu=ctx.device == "cpu",
        disable_tqdm=True,
    )
    loss = MultipleNegativesRankingLoss(model)
    return SentenceTransformerTrainer(model=model, args=args, train_dataset=dataset, loss=loss)


@torch.no_grad()
def retrieval_scores(model: Any, pairs: list[Record]) -> dict[str, float]:
    """Recall@1 and MRR when each anchor ranks all positives of ``pairs`` by cosine similarity."""
    anchors = model.encode([r["anchor"] for r in pairs], convert_to_tensor=True, normalize_embeddings=True)
    positives = model.encode(
        [r["positive"] for r in pairs], convert_to_tensor=True, normalize_embeddings=True
    )
    similarity = anchors @ positives.T
    # rank = how many candidates score strictly higher than the true positive (0 = first)
    rank = (similarity > similarity.diag().unsqueeze(1)).sum(dim=1).float()
    return {"recall_at_1": float((rank == 0).float().mean()), "mrr": float((1.0 / (rank + 1)).mean())}
