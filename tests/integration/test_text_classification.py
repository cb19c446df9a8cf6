"""text_classification: MiniLM + a fresh head really fine-tunes; held-out accuracy rises; it reloads."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from alignment_helpers import StopAfter, make_ctx, one_thread, write_prepared

from omnitune.recipes.registry import get_recipe
from omnitune.types import DataFamily, Method

pytestmark = pytest.mark.usefixtures(one_thread.__name__)

TOPICS = {
    "sports": [
        "The striker scored a late {} goal",
        "Our team won the {} match",
        "The {} race ended in a sprint",
    ],
    "cooking": [
        "Simmer the {} sauce for ten minutes",
        "Bake the {} bread until golden",
        "Chop the {} onions finely",
    ],
    "weather": [
        "Expect {} rain over the hills",
        "A {} storm is moving in tonight",
        "The forecast says {} sunshine",
    ],
}
WORDS = ["quick", "long", "bright", "heavy", "small", "late", "warm", "cold", "great", "odd", "new", "calm"]


def _records(seed: int) -> list[dict[str, str]]:
    rows = [
        {"text": template.format(word), "label": label}
        for label, templates in TOPICS.items()
        for template, word in itertools.product(templates, WORDS)
    ]
    random.Random(seed).shuffle(rows)
    return rows


@pytest.mark.slow
def test_classification_accuracy_rises_and_model_reloads(tmp_path: Path) -> None:
    rows = _records(0)
    data = write_prepared(tmp_path / "data", DataFamily.CLASSIFICATION, rows[:84], rows[84:])
    hp = {"learning_rate": 2e-4, "batch_size": 16, "epochs": 2, "num_threads": 1}
    ctx, events = make_ctx(
        tmp_path,
        data,
        recipe="text_classification",
        method=Method.CLASSIFICATION,
        base_model="omnitune/minilm",
        hyperparameters=hp,
    )
    result = get_recipe("text_classification").run(ctx)

    assert result.status == "completed"
    m = result.metrics
    assert m["accuracy_after"] > m["accuracy_before"] + 0.2
    assert m["accuracy_after"] >= 0.9
    assert m["eval_loss_after"] < m["eval_loss_before"]
    assert len(events.metrics()) >= result.step > 0

    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(ctx.output_dir)
    tokenizer = AutoTokenizer.from_pretrained(ctx.output_dir)
    logits = model(**tokenizer(["Bake the warm bread until golden"], return_tensors="pt")).logits
    assert model.config.id2label[int(logits.argmax())] == "cooking"


@pytest.mark.slow
def test_classification_pauses_with_a_checkpoint_and_resumes(tmp_path: Path) -> None:
    rows = _records(1)
    data = write_prepared(tmp_path / "data", DataFamily.CLASSIFICATION, rows[:84], rows[84:])
    hp = {"learning_rate": 2e-4, "batch_size": 16, "max_steps": 4, "num_threads": 1}
    ctx, _ = make_ctx(
        tmp_path,
        data,
        recipe="text_classification",
        method=Method.CLASSIFICATION,
        base_model="omnitune/minilm",
        hyperparameters=hp,
        control=StopAfter(2),
    )
    paused = get_recipe("text_classification").run(ctx)
    assert (paused.status, paused.step) == ("paused", 2)
    checkpoint = ctx.checkpoints_dir / "step-00000002"
    assert (checkpoint / "optimizer.pt").is_file() and (checkpoint / "trainer_state.json").is_file()

    ctx2, _ = make_ctx(
        tmp_path,
        data,
        recipe="text_classification",
        method=Method.CLASSIFICATION,
        base_model="omnitune/minilm",
        hyperparameters=hp,
        resume_from=checkpoint,
    )
    done = get_recipe("text_classification").run(ctx2)
    assert (done.status, done.step) == ("completed", 4)
