"""llm_rl: GRPO with built-in rewards raises a tiny from-config llama's reward; PPO is refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alignment_helpers import make_ctx, one_thread, write_prepared

from omnitune.recipes.llm.rewards import build_rewards, last_number
from omnitune.recipes.registry import get_recipe
from omnitune.types import DataFamily, Method

pytestmark = pytest.mark.usefixtures(one_thread.__name__)
NAMES = ["Ann", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lea"]


def _chat_data(tmp_path: Path) -> Path:
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"Say hi to {n}."},
                {"role": "assistant", "content": f"Hi {n}!"},
            ]
        }
        for n in NAMES
    ]
    return write_prepared(tmp_path / "data", DataFamily.CHAT, rows[:8], rows[8:])


@pytest.mark.slow
def test_grpo_length_reward_rises_and_policy_reloads(tmp_path: Path) -> None:
    # A random policy rambles for all 16 tokens; the length reward (best at 8 characters) must teach it
    # to stop early. Reward variance within each group of 4 samples is what GRPO learns from.
    hp = {
        "rewards": ["length"],
        "target_length": 8,
        "learning_rate": 5e-3,
        "num_generations": 4,
        "batch_size": 8,
        "max_completion_length": 16,
        "epochs": 6,
        "num_threads": 1,
        "eval_samples": 8,
    }
    ctx, events = make_ctx(
        tmp_path, _chat_data(tmp_path), recipe="llm_rl", method=Method.GRPO, hyperparameters=hp
    )
    result = get_recipe("llm_rl").run(ctx)

    m = result.metrics
    assert result.status == "completed" and result.step == 24
    assert m["heldout_reward_after"] > m["heldout_reward_before"] + 0.1
    rewards = [e["reward"] for e in events.metrics()]
    assert sum(rewards[-6:]) > sum(rewards[:6])

    from transformers import AutoModelForCausalLM

    assert AutoModelForCausalLM.from_pretrained(ctx.output_dir).config.vocab_size > 0


def test_ppo_is_refused_with_a_pointer_to_grpo(tmp_path: Path) -> None:
    ctx, _ = make_ctx(tmp_path, _chat_data(tmp_path), recipe="llm_rl", method=Method.PPO)
    with pytest.raises(ValueError, match=r"no longer ships a PPOTrainer.*grpo"):
        get_recipe("llm_rl").run(ctx)


def test_beta_without_a_reference_is_refused(tmp_path: Path) -> None:
    ctx, _ = make_ctx(
        tmp_path, _chat_data(tmp_path), recipe="llm_rl", method=Method.GRPO, hyperparameters={"beta": 0.04}
    )
    with pytest.raises(ValueError, match="needs a reference model"):
        get_recipe("llm_rl").run(ctx)


def test_builtin_rewards_score_completions() -> None:
    exact, contains, numeric = build_rewards(["exact_match", "contains_answer", "numeric_match"], {})
    completions = ["  Paris. ", [{"role": "assistant", "content": "It is Paris"}], "the total is 1,204"]
    refs = ["paris", "Paris", "1204"]
    assert exact(completions=completions, reference=refs) == [1.0, 0.0, 0.0]
    assert contains(completions=completions, reference=refs) == [1.0, 1.0, 0.0]
    assert numeric(completions=completions, reference=refs) == [0.0, 0.0, 1.0]
    (fmt,) = build_rewards(["format"], {"format_regex": r"<answer>\d+</answer>"})
    assert fmt(completions=["<answer>42</answer>", "42"]) == [1.0, 0.0]
    (length,) = build_rewards(["length"], {"target_length": 4})
    assert length(completions=["abcd", "ab", "abcdefgh"]) == [1.0, 0.5, 0.0]
    assert last_number("3 apples and -2.5 pears") == -2.5


def test_unknown_or_misconfigured_rewards_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="choose from"):
        build_rewards(["run_my_code"], {})
    with pytest.raises(ValueError, match="format_regex"):
        build_rewards(["format"], {})
    with pytest.raises(ValueError, match="not a valid regex"):
        build_rewards(["format"], {"format_regex": "(unclosed"})
