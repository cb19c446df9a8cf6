"""Reward modelling with trl's RewardTrainer: a causal LM with a scalar head scores chosen over rejected.

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: llm_reward`.
Data: family `preference` {"prompt": [msgs], "chosen": [msgs], "rejected": [msgs]}. The model is the
base LM's architecture with a one-output sequence-classification head (AutoModelForSequenceClassification);
LoRA when the plan sets `lora_r`. Reports held-out pairwise accuracy (chosen scored higher), mean
margin and loss before and after; the artefact reloads with AutoModelForSequenceClassification and
serves as the reward for PPO-style training or for ranking completions.
"""

from __future__ import annotations

from typing import Any

from omnitune.data.manifest import DatasetManifest
from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.hf_trainer_run import run_trainer
from omnitune.recipes.llm import trl_setup as setup
from omnitune.recipes.llm.finetuning import configure_threads
from omnitune.types import DataFamily, Method, Modality

EVAL_METRICS = {"eval_loss": "reward_loss", "eval_accuracy": "pair_accuracy", "eval_margin": "reward_margin"}


class RewardModelRecipe:
    """Train a scalar reward model on pairwise preferences (Bradley-Terry loss)."""

    key = "llm_reward"
    modality = Modality.LLM
    methods = frozenset({Method.REWARD_MODELING})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train, report pairwise accuracy/margin/loss before and after, save model + tokenizer."""
        hp = ctx.hyperparameters
        family = DatasetManifest.read(ctx.data_dir).family
        if family is not DataFamily.PREFERENCE:
            raise ValueError(
                f"{ctx.data_dir}/manifest.json: family {family.value!r}; reward modelling needs "
                "'preference' records {'prompt': [...], 'chosen': [...], 'rejected': [...]}"
            )
        configure_threads(ctx.device, hp, ctx.checkpoints_dir)
        train, held = setup.read_splits(ctx, hp)
        model, tokenizer = setup.load_policy(
            ctx, setup.message_texts(train + held), for_classification=True, num_labels=1
        )
        trainer = _make_trainer(ctx, hp, model, tokenizer, _dataset(train), _dataset(held))
        before = setup.evaluate_as(trainer, "before", EVAL_METRICS)
        outcome = run_trainer(ctx, trainer)
        if outcome.result is not None:
            return outcome.result
        after = setup.evaluate_as(trainer, "after", EVAL_METRICS)
        metrics = {**before, **after, **outcome.metrics}
        ctx.events.emit("evaluation", step=outcome.step, **metrics)
        setup.save_policy(ctx, trainer.model, tokenizer, hp, self.key, metrics)
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def _dataset(records: list[dict[str, Any]]) -> Any:
    from datasets import Dataset

    fields = ("prompt", "chosen", "rejected")
    for number, record in enumerate(records, start=1):
        if any(name not in record for name in fields):
            raise ValueError(f"preference record {number}: needs {', '.join(fields)}")
    return Dataset.from_list([{name: record[name] for name in fields} for record in records])


def _make_trainer(
    ctx: RecipeContext, hp: dict[str, Any], model: Any, tokenizer: Any, train: Any, held: Any
) -> Any:
    from trl import RewardConfig, RewardTrainer

    common = setup.trainer_kwargs(ctx, hp, default_lr=1e-4 if setup.uses_adapter(hp) else 1e-5)
    args = RewardConfig(max_length=int(hp.get("seq_len", 512)), **common)
    return RewardTrainer(
        model=model,
        args=args,
        train_dataset=train,
        eval_dataset=held,
        processing_class=tokenizer,
        peft_config=setup.peft_config(hp, task_type="SEQ_CLS"),
    )
