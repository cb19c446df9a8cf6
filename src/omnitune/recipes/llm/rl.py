"""Online RL for LLMs: GRPO with trl's GRPOTrainer and built-in reward functions named in the plan.

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: llm_rl`.
Data: family `chat`; each record's messages up to its last assistant turn are the prompt and that
turn is the reference answer (a record's own "reference" field, if present, wins).
Hyperparameters: `rewards` (names from rewards.REWARD_NAMES, default ["exact_match"]),
`reward_weights`, `format_regex`, `target_length`, `num_generations`, `max_completion_length`,
`temperature`, `beta` (KL to the reference; 0 = none). Reports the mean reward of sampled completions
on held-out prompts before and after, and the training reward of the first and last steps.
PPO: trl 1.x no longer ships a PPOTrainer, so method `ppo` stops with an error pointing to GRPO.
"""

from __future__ import annotations

from typing import Any

import torch

from omnitune.data.manifest import DatasetManifest
from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.hf_trainer_run import run_trainer
from omnitune.recipes.llm import trl_setup as setup
from omnitune.recipes.llm.finetuning import configure_threads
from omnitune.recipes.llm.models import resolve_model_source
from omnitune.recipes.llm.rewards import RewardFn, build_rewards
from omnitune.types import DataFamily, Method, Modality


class RLRecipe:
    """Group-relative policy optimisation against programmatic rewards."""

    key = "llm_rl"
    modality = Modality.LLM
    methods = frozenset({Method.GRPO, Method.PPO})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train with GRPO, report held-out sampled reward before/after, save the policy."""
        hp, method = ctx.hyperparameters, ctx.model.method
        _check_supported(ctx, method, hp)
        configure_threads(ctx.device, hp, ctx.checkpoints_dir)
        train, held = (_prompts(records) for records in setup.read_splits(ctx, hp))
        model, tokenizer = setup.load_policy(ctx, setup.message_texts(train + held))
        rewards = build_rewards(list(hp.get("rewards", ["exact_match"])), hp)
        weights = [float(w) for w in hp.get("reward_weights", [1.0] * len(rewards))]
        before = sampled_reward(model, tokenizer, held, rewards, weights, hp, ctx.seed)
        trainer = _make_trainer(ctx, hp, model, tokenizer, train, rewards, weights)
        outcome = run_trainer(ctx, trainer)
        if outcome.result is not None:
            return outcome.result
        after = sampled_reward(trainer.model, tokenizer, held, rewards, weights, hp, ctx.seed)
        metrics = {"heldout_reward_before": before, "heldout_reward_after": after, **outcome.metrics}
        metrics |= _train_reward_trend(trainer)
        ctx.events.emit("evaluation", step=outcome.step, **metrics)
        setup.save_policy(ctx, trainer.model, tokenizer, hp, self.key, metrics)
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def _check_supported(ctx: RecipeContext, method: Method, hp: dict[str, Any]) -> None:
    if method is Method.PPO:
        raise ValueError(
            "method 'ppo' is unavailable: the installed trl no longer ships a PPOTrainer. Use method "
            "'grpo' (llm_rl) with built-in rewards, or train a reward model (llm_reward) and align with dpo."
        )
    family = DatasetManifest.read(ctx.data_dir).family
    if family is not DataFamily.CHAT:
        raise ValueError(
            f"{ctx.data_dir}/manifest.json: family {family.value!r}; GRPO needs 'chat' records whose last "
            "assistant message is the reference answer"
        )
    full_from_config = resolve_model_source(ctx.model.base_model).kind == "config" and not setup.uses_adapter(
        hp
    )
    if float(hp.get("beta", 0.0)) > 0 and full_from_config:
        raise ValueError(
            "beta > 0 needs a reference model; a from-config model has none on disk. "
            "Set lora_r (the base then serves as reference) or beta: 0."
        )


def _prompts(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """{"prompt": messages before the last assistant turn, "reference": that turn's text}."""
    rows = []
    for number, record in enumerate(records, start=1):
        messages = record.get("messages") or []
        last = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=None)
        if last is None or last == 0:
            raise ValueError(
                f"chat record {number}: needs a prompt and a final assistant answer (the reference)"
            )
        reference = record.get("reference", messages[last]["content"])
        rows.append({"prompt": messages[:last], "reference": str(reference)})
    return rows


def _make_trainer(
    ctx: RecipeContext,
    hp: dict[str, Any],
    model: Any,
    tokenizer: Any,
    train: list[dict[str, Any]],
    rewards: list[RewardFn],
    weights: list[float],
) -> Any:
    from datasets import Dataset
    from trl import GRPOConfig

    common = setup.trainer_kwargs(ctx, hp, default_lr=1e-5 if not setup.uses_adapter(hp) else 1e-4)
    generations = int(hp.get("num_generations", 4))
    common["per_device_train_batch_size"] = int(hp.get("batch_size", generations))
    args = GRPOConfig(
        num_generations=generations,
        max_completion_length=int(hp.get("max_completion_length", 64)),
        temperature=float(hp.get("temperature", 1.0)),
        beta=float(hp.get("beta", 0.0)),
        reward_weights=weights,
        **common,
    )
    return _resumable_grpo_trainer()(
        model=model,
        reward_funcs=list[Any](rewards),  # trl's type allows None rewards; ours never return one
        args=args,
        train_dataset=Dataset.from_list(train),
        processing_class=tokenizer,
        peft_config=setup.peft_config(hp),
    )


def _resumable_grpo_trainer() -> Any:
    """GRPOTrainer whose prompt order in every epoch is the same in a straight and a resumed run."""
    from trl import GRPOTrainer

    class ResumableGRPOTrainer(GRPOTrainer):  # type: ignore[misc]
        def _get_train_sampler(self, dataset: Any = None) -> Any:
            return EpochReplaySampler(super()._get_train_sampler(dataset))

    return ResumableGRPOTrainer


class EpochReplaySampler(torch.utils.data.Sampler[int]):
    """trl's RepeatSampler with a ``set_epoch`` (the Trainer calls it before each epoch).

    RepeatSampler shuffles with one generator that runs on from epoch to epoch, and a resumed run
    builds a fresh one: resumed in epoch N, it replayed epoch 0's prompt order. ``set_epoch(N)``
    reseeds it and replays the N earlier shuffles, so epoch N draws the same order either way.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __iter__(self) -> Any:
        return iter(self.inner)

    def __len__(self) -> int:
        return len(self.inner)

    def set_epoch(self, epoch: int) -> None:
        """Put the shuffling generator where a straight run's is at the start of ``epoch``."""
        if not self.inner.shuffle or self.inner.seed is None:
            return
        self.inner.generator.manual_seed(self.inner.seed)
        for _ in range(epoch):
            torch.randperm(self.inner.num_samples, generator=self.inner.generator)


@torch.no_grad()
def sampled_reward(
    model: Any,
    tokenizer: Any,
    rows: list[dict[str, Any]],
    rewards: list[RewardFn],
    weights: list[float],
    hp: dict[str, Any],
    seed: int,
) -> float:
    """Mean weighted reward of completions sampled (seeded, as in training) for held-out prompts."""
    model.eval()
    torch.manual_seed(seed)
    samples = int(hp.get("eval_samples", 4))
    completions, references = [], []
    for row in rows:
        ids = tokenizer.apply_chat_template(
            row["prompt"], add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(model.device)
        out = model.generate(
            **ids,
            do_sample=True,
            temperature=float(hp.get("temperature", 1.0)),
            max_new_tokens=int(hp.get("max_completion_length", 64)),
            num_return_sequences=samples,
            pad_token_id=tokenizer.pad_token_id,
        )
        prompt_len = ids["input_ids"].shape[1]
        completions += tokenizer.batch_decode(out[:, prompt_len:], skip_special_tokens=True)
        references += [row["reference"]] * samples
    total = [0.0] * len(completions)
    for fn, weight in zip(rewards, weights, strict=True):
        for i, score in enumerate(fn(completions=completions, reference=references)):
            total[i] += weight * score
    return sum(total) / len(total)


def _train_reward_trend(trainer: Any) -> dict[str, float]:
    """Training reward of the first and the last logged step (trl logs it every step)."""
    rewards = [entry["reward"] for entry in trainer.state.log_history if "reward" in entry]
    if not rewards:
        return {}
    return {"train_reward_first": float(rewards[0]), "train_reward_last": float(rewards[-1])}
