"""llm_preference: DPO, IPO, ORPO, KTO and SimPO really train a tiny from-config llama with trl.

The preference is simple and general (a polite, complete reply beats a curt refusal), so held-out
pairs can show it: the reward margin and accuracy rise and the preference loss falls.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alignment_helpers import StopAfter, make_ctx, one_thread, write_prepared

from omnitune.recipes.registry import get_recipe
from omnitune.types import DataFamily, Method

pytestmark = pytest.mark.usefixtures(one_thread.__name__)
NAMES = ["Ann", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lea"]


def preference_records() -> list[dict]:
    """Paired preferences: a friendly greeting is chosen over a refusal."""
    return [
        {
            "prompt": [{"role": "user", "content": f"Please greet {name}."}],
            "chosen": [{"role": "assistant", "content": f"Hello {name}, lovely to meet you!"}],
            "rejected": [{"role": "assistant", "content": "No."}],
        }
        for name in NAMES
    ]


def _run(tmp_path: Path, method: Method, hp: dict, **kw):
    data = write_prepared(
        tmp_path / "data", DataFamily.PREFERENCE, preference_records()[:9], preference_records()[9:]
    )
    base = {"batch_size": 3, "epochs": 4, "num_threads": 1, "seq_len": 64}
    ctx, events = make_ctx(
        tmp_path, data, recipe="llm_preference", method=method, hyperparameters=base | hp, **kw
    )
    return ctx, events, get_recipe("llm_preference").run(ctx)


@pytest.mark.slow
def test_dpo_raises_reward_margin_and_artefact_reloads(tmp_path: Path) -> None:
    ctx, events, result = _run(tmp_path, Method.DPO, {"learning_rate": 5e-3, "beta": 0.1})
    m = result.metrics
    assert result.status == "completed" and result.step == 12
    assert m["reward_margin_before"] == pytest.approx(0.0, abs=1e-6)  # policy == reference
    assert m["reward_margin_after"] > 0.05
    assert m["reward_accuracy_after"] > m["reward_accuracy_before"]
    assert m["preference_loss_after"] < m["preference_loss_before"]
    assert {"rewards_margins", "loss"} <= set(events.metrics()[0])

    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(ctx.output_dir)
    tokenizer = AutoTokenizer.from_pretrained(ctx.output_dir)
    assert model(**tokenizer("Please greet Ann.", return_tensors="pt")).logits.shape[-1] == len(tokenizer)


def unpaired_records() -> list[dict]:
    """The same preference, unpaired (KTO's native shape)."""
    rows = []
    for pair in preference_records():
        rows.append({"prompt": pair["prompt"], "completion": pair["chosen"], "label": True})
        rows.append({"prompt": pair["prompt"], "completion": pair["rejected"], "label": False})
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("method", [Method.IPO, Method.ORPO, Method.SIMPO])
def test_paired_methods_reduce_preference_loss(tmp_path: Path, method: Method) -> None:
    _, _, result = _run(tmp_path, method, {"learning_rate": 5e-3, "epochs": 2})
    m = result.metrics
    assert result.status == "completed" and result.step == 6
    assert m["preference_loss_after"] < m["preference_loss_before"]
    assert m["reward_margin_after"] > m["reward_margin_before"]


@pytest.mark.slow
def test_kto_trains_on_unpaired_preferences(tmp_path: Path) -> None:
    rows = unpaired_records()
    data = write_prepared(tmp_path / "data", DataFamily.UNPAIRED_PREFERENCE, rows[:18], rows[18:])
    hp = {"batch_size": 6, "epochs": 2, "num_threads": 1, "seq_len": 64, "learning_rate": 5e-3}
    ctx, _ = make_ctx(tmp_path, data, recipe="llm_preference", method=Method.KTO, hyperparameters=hp)
    m = get_recipe("llm_preference").run(ctx).metrics
    assert m["preference_loss_after"] < m["preference_loss_before"]
    assert m["reward_margin_after"] > m["reward_margin_before"]


@pytest.mark.slow
def test_lora_dpo_pauses_resumes_and_saves_an_adapter(tmp_path: Path) -> None:
    hp = {"learning_rate": 1e-2, "lora_r": 8, "epochs": 2}
    ctx, _, paused = _run(tmp_path, Method.DPO, hp, control=StopAfter(2))
    assert (paused.status, paused.step) == ("paused", 2)
    checkpoint = ctx.checkpoints_dir / "step-00000002"
    assert (checkpoint / "adapter_model.safetensors").is_file()

    ctx2, _, done = _run(tmp_path, Method.DPO, hp, resume_from=checkpoint, name="resumed")
    assert (done.status, done.step) == ("completed", 6)
    assert done.metrics["reward_margin_after"] > 0
    assert (ctx2.output_dir / "adapter_config.json").is_file()

    from omnitune.recipes.llm.models import load_model_and_tokenizer

    model, tokenizer = load_model_and_tokenizer(str(ctx2.output_dir))
    assert model(**tokenizer("Please greet Ann.", return_tensors="pt")).logits.shape[-1] == len(tokenizer)


def test_wrong_family_is_a_clear_error(tmp_path: Path) -> None:
    data = write_prepared(tmp_path / "data", DataFamily.TEXT, [{"text": "hello"}] * 4)
    ctx, _ = make_ctx(tmp_path, data, recipe="llm_preference", method=Method.DPO)
    with pytest.raises(ValueError, match="family 'text' cannot train dpo"):
        get_recipe("llm_preference").run(ctx)


@pytest.mark.slow
def test_budget_freezes_with_a_checkpoint_and_cancel_leaves_none(tmp_path: Path) -> None:
    ctx, _, frozen = _run(tmp_path, Method.ORPO, {"learning_rate": 5e-3}, control=StopAfter(3, "budget"))
    assert (frozen.status, frozen.step) == ("budget_frozen", 3)
    assert (ctx.checkpoints_dir / "step-00000003" / "trainer_state.json").is_file()

    ctx2, events, cancelled = _run(tmp_path, Method.ORPO, {}, control=StopAfter(1, "cancel"), name="c")
    assert (cancelled.status, cancelled.step) == ("cancelled", 1)
    assert not list(ctx2.checkpoints_dir.glob("step-*"))
    assert ("stopped", {"step": 1, "reason": "cancel"}) in events.events
