"""llm_distill: a from-config student learns a trained teacher's logits; KL to the teacher falls."""

from __future__ import annotations

from pathlib import Path

import pytest
from alignment_helpers import make_ctx, one_thread, write_prepared

from omnitune.recipes.registry import get_recipe
from omnitune.types import DataFamily, Method

pytestmark = pytest.mark.usefixtures(one_thread.__name__)
NAMES = ["Ann", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lea"]
ROWS = [
    {
        "messages": [
            {"role": "user", "content": f"Say hi to {n}."},
            {"role": "assistant", "content": f"Hi {n}!"},
        ]
    }
    for n in NAMES
]


def _trained_teacher(directory: Path) -> Path:
    """A tiny llama fitted to the chat data for a few full-batch steps, saved like an artefact."""
    import torch

    from omnitune.recipes.llm import sft_data
    from omnitune.recipes.llm.models import load_model_and_tokenizer

    texts = sft_data.texts_for_tokenizer(ROWS, DataFamily.CHAT)
    model, tokenizer = load_model_and_tokenizer("omnitune/tiny-llama", train_texts=texts, seed=7)
    examples = sft_data.encode_records(tokenizer, ROWS, DataFamily.CHAT, max_len=64, assistant_only=False)
    batch = sft_data.collate(examples, tokenizer.pad_token_id)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(25):
        optimizer.zero_grad()
        model(**batch).loss.backward()
        optimizer.step()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.mark.slow
def test_student_kl_to_teacher_falls_and_student_reloads(tmp_path: Path) -> None:
    teacher = _trained_teacher(tmp_path / "teacher")
    data = write_prepared(tmp_path / "data", DataFamily.CHAT, ROWS[:8], ROWS[8:])
    hp = {
        "teacher_model": str(teacher),
        "temperature": 2.0,
        "alpha": 0.5,
        "learning_rate": 3e-3,
        "batch_size": 4,
        "epochs": 5,
        "num_threads": 1,
        "seq_len": 64,
    }
    ctx, events = make_ctx(
        tmp_path, data, recipe="llm_distill", method=Method.DISTILLATION, hyperparameters=hp
    )
    result = get_recipe("llm_distill").run(ctx)

    m = result.metrics
    assert result.status == "completed" and result.step == 10
    assert m["kl_to_teacher_after"] < 0.5 * m["kl_to_teacher_before"]
    assert m["student_loss_after"] < m["student_loss_before"]
    assert all("kl_to_teacher" in e for e in events.metrics())

    from transformers import AutoModelForCausalLM, AutoTokenizer

    student = AutoModelForCausalLM.from_pretrained(ctx.output_dir)
    assert (
        AutoTokenizer.from_pretrained(ctx.output_dir).get_vocab()
        == AutoTokenizer.from_pretrained(teacher).get_vocab()
    )
    assert student.config.vocab_size == AutoModelForCausalLM.from_pretrained(teacher).config.vocab_size


def test_missing_teacher_is_a_clear_error(tmp_path: Path) -> None:
    data = write_prepared(tmp_path / "data", DataFamily.CHAT, ROWS[:8], ROWS[8:])
    ctx, _ = make_ctx(tmp_path, data, recipe="llm_distill", method=Method.DISTILLATION)
    with pytest.raises(ValueError, match="teacher_model"):
        get_recipe("llm_distill").run(ctx)
