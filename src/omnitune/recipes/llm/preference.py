"""Preference alignment with trl: DPO, IPO (DPO's ipo loss), ORPO, KTO, SimPO (CPO's simpo loss).

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: llm_preference`.
Data: family `preference` {"prompt": [msgs], "chosen": [msgs], "rejected": [msgs]}; KTO also takes
`unpaired_preference` {"prompt", "completion", "label": bool} (paired data is unpaired for it).
Full weights by default; LoRA when the plan sets `lora_r`. Before and after training, the trainer's
own evaluation on held-out pairs gives the preference loss, the reward margin (chosen minus
rejected) and the reward accuracy, so the run shows whether the policy learned the preference.
"""

from __future__ import annotations

from typing import Any

from omnitune.data.manifest import DatasetManifest
from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.hf_trainer_run import run_trainer
from omnitune.recipes.llm import trl_setup as setup
from omnitune.recipes.llm.finetuning import configure_threads
from omnitune.types import DataFamily, Method, Modality

# eval metric -> the name our result uses (with _before / _after)
EVAL_METRICS = {
    "eval_loss": "preference_loss",
    "eval_rewards/margins": "reward_margin",
    "eval_rewards/accuracies": "reward_accuracy",
}
PAIRED_FIELDS = ("prompt", "chosen", "rejected")
UNPAIRED_FIELDS = ("prompt", "completion", "label")


class PreferenceRecipe:
    """Align a causal LM to chosen-over-rejected preferences with one of trl's preference trainers."""

    key = "llm_preference"
    modality = Modality.LLM
    methods = frozenset({Method.DPO, Method.IPO, Method.ORPO, Method.KTO, Method.SIMPO})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train with the plan's method, report preference metrics before/after, save the policy."""
        hp, method = ctx.hyperparameters, ctx.model.method
        if method not in self.methods:
            raise ValueError(f"llm_preference trains dpo, ipo, orpo, kto, simpo; not {method.value!r}")
        configure_threads(ctx.device, hp, ctx.checkpoints_dir)
        fields = _check_family(ctx, method)
        train, held = setup.read_splits(ctx, hp)
        model, tokenizer = setup.load_policy(ctx, setup.message_texts(train + held))
        train_set, held_set = _dataset(train, fields), _dataset(held, fields)
        trainer = _make_trainer(ctx, hp, method, model, tokenizer, train_set, held_set)
        before = setup.evaluate_as(trainer, "before", EVAL_METRICS)
        outcome = run_trainer(ctx, trainer)
        if outcome.result is not None:
            return outcome.result
        after = setup.evaluate_as(trainer, "after", EVAL_METRICS)
        metrics = {**before, **after, **outcome.metrics, "beta": float(trainer.args.beta)}
        ctx.events.emit("evaluation", step=outcome.step, **metrics)
        setup.save_policy(ctx, trainer.model, tokenizer, hp, self.key, metrics)
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def _check_family(ctx: RecipeContext, method: Method) -> tuple[str, ...]:
    family = DatasetManifest.read(ctx.data_dir).family
    if family is DataFamily.PREFERENCE:
        return PAIRED_FIELDS
    if family is DataFamily.UNPAIRED_PREFERENCE and method is Method.KTO:
        return UNPAIRED_FIELDS
    wanted = "preference or unpaired_preference" if method is Method.KTO else "preference"
    raise ValueError(
        f"{ctx.data_dir}/manifest.json: family {family.value!r} cannot train {method.value}; "
        f"it needs {wanted} records, e.g. {{'prompt': [...], 'chosen': [...], 'rejected': [...]}}"
    )


def _dataset(records: list[dict[str, Any]], fields: tuple[str, ...]) -> Any:
    from datasets import Dataset

    for number, record in enumerate(records, start=1):
        missing = [name for name in fields if name not in record]
        if missing:
            raise ValueError(f"preference record {number}: missing {', '.join(missing)}")
    return Dataset.from_list([{name: record[name] for name in fields} for record in records])


def _make_trainer(
    ctx: RecipeContext, hp: dict[str, Any], method: Method, model: Any, tokenizer: Any, train: Any, held: Any
) -> Any:
    """The trl trainer for ``method``; the reference is a frozen copy (or, with LoRA, the base)."""
    common = setup.trainer_kwargs(ctx, hp, default_lr=5e-5 if setup.uses_adapter(hp) else 5e-6)
    common |= {"max_length": int(hp.get("seq_len", 512))}
    trainer_cls, args = _method_config(method, hp, common)
    extra = {}
    if method in (Method.DPO, Method.IPO, Method.KTO) and not setup.uses_adapter(hp):
        from trl import create_reference_model

        # trl would reload the reference from the model's path, which a from-config model lacks
        extra["ref_model"] = create_reference_model(model)
    return trainer_cls(
        model=model,
        args=args,
        train_dataset=train,
        eval_dataset=held,
        processing_class=tokenizer,
        peft_config=setup.peft_config(hp),
        **extra,
    )


def _method_config(method: Method, hp: dict[str, Any], common: dict[str, Any]) -> tuple[Any, Any]:
    if method in (Method.DPO, Method.IPO):
        from trl import DPOConfig, DPOTrainer

        loss = "ipo" if method is Method.IPO else str(hp.get("loss_type", "sigmoid"))
        return DPOTrainer, DPOConfig(beta=float(hp.get("beta", 0.1)), loss_type=[loss], **common)
    if method is Method.KTO:
        from trl import KTOConfig, KTOTrainer

        return KTOTrainer, KTOConfig(beta=float(hp.get("beta", 0.1)), **common)
    if method is Method.ORPO:
        from trl.experimental.orpo import ORPOConfig, ORPOTrainer

        return ORPOTrainer, ORPOConfig(beta=float(hp.get("beta", 0.1)), **common)
    from trl.experimental.cpo import CPOConfig, CPOTrainer

    simpo: dict[str, Any] = {"loss_type": "simpo", "cpo_alpha": float(hp.get("cpo_alpha", 0.0))}
    gamma = float(hp.get("simpo_gamma", 0.5))
    return CPOTrainer, CPOConfig(beta=float(hp.get("beta", 2.0)), simpo_gamma=gamma, **simpo, **common)
