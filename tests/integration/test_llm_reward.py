"""llm_reward: trl's RewardTrainer learns to score the chosen reply above the rejected one."""

from __future__ import annotations

from pathlib import Path

import pytest
from alignment_helpers import make_ctx, one_thread, write_prepared
from test_llm_preference import preference_records

from omnitune.recipes.registry import get_recipe
from omnitune.types import DataFamily, Method

pytestmark = pytest.mark.usefixtures(one_thread.__name__)


@pytest.mark.slow
def test_reward_model_learns_the_preference_and_reloads(tmp_path: Path) -> None:
    rows = preference_records()
    data = write_prepared(tmp_path / "data", DataFamily.PREFERENCE, rows[:9], rows[9:])
    hp = {"learning_rate": 2e-3, "batch_size": 3, "epochs": 4, "num_threads": 1, "seq_len": 64}
    ctx, events = make_ctx(
        tmp_path, data, recipe="llm_reward", method=Method.REWARD_MODELING, hyperparameters=hp
    )
    result = get_recipe("llm_reward").run(ctx)

    m = result.metrics
    assert result.status == "completed" and result.step == 12
    assert m["reward_loss_after"] < m["reward_loss_before"]
    assert m["reward_margin_after"] > m["reward_margin_before"]
    assert m["pair_accuracy_after"] == 1.0
    assert all("loss" in e for e in events.metrics())

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(ctx.output_dir)
    tokenizer = AutoTokenizer.from_pretrained(ctx.output_dir)
    prompt = [{"role": "user", "content": "Please greet Zoe."}]
    texts = [
        tokenizer.apply_chat_template([*prompt, {"role": "assistant", "content": reply}], tokenize=False)
        for reply in ("Hello Zoe, lovely to meet you!", "No.")
    ]
    with torch.no_grad():
        scores = model(**tokenizer(texts, return_tensors="pt", padding=True)).logits[:, 0]
    assert scores[0] > scores[1]
