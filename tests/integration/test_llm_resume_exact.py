"""Pause or kill after N steps, resume, finish: each trl LLM and text recipe ends as a straight run does.

The shape of ``test_media_resume_exact``: each case trains a tiny model with one seed straight to ``STEPS``
(writing a periodic checkpoint at ``PAUSE``, ``save_steps``), paused at ``PAUSE`` (mid-epoch, after at
least one optimiser step) then resumed in the same job directories as the runtime does, and resumed from
the straight run's periodic checkpoint (what a worker killed after it would do). Every tensor the finished
runs saved (``*.safetensors`` under the output) must match the straight run's to ``ATOL``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alignment_helpers import StopAfter, make_ctx, one_thread, write_prepared
from resume_checks import check_exact_resume
from test_llm_distill import ROWS, _trained_teacher
from test_llm_preference import preference_records, unpaired_records
from test_text_classification import _records as topic_records
from test_text_embeddings import _both_ways

from omnitune.recipes.registry import get_recipe
from omnitune.types import DataFamily, Method

pytestmark = pytest.mark.usefixtures(one_thread.__name__)

STEPS, PAUSE = 5, 3  # two optimiser steps per epoch: the pause is mid-epoch, after an epoch boundary
ATOL = 1e-6
LLM_HP = {"seq_len": 48, "num_threads": 1, "lr_scheduler": "cosine", "warmup_steps": 1}


def preference_data(root: Path) -> Path:
    rows = preference_records()
    return write_prepared(root, DataFamily.PREFERENCE, rows[:8], rows[8:10])


def unpaired_data(root: Path) -> Path:
    rows = unpaired_records()
    return write_prepared(root, DataFamily.UNPAIRED_PREFERENCE, rows[:8], rows[8:12])


def chat_data(root: Path) -> Path:
    return write_prepared(root, DataFamily.CHAT, ROWS[:8], ROWS[8:10])


def distill_data(root: Path) -> Path:
    """The chat data and, beside it, the teacher fitted to it (``teacher_model`` names ``root/teacher``)."""
    _trained_teacher(root.parent / "teacher")
    return chat_data(root)


def topic_data(root: Path) -> Path:
    rows = topic_records(0)
    return write_prepared(root, DataFamily.CLASSIFICATION, rows[:8], rows[8:12])


def pairs_data(root: Path) -> Path:
    triples = [("Alice", "Bob", "book"), ("Carol", "David", "key"), ("Emma", "Frank", "ring")]
    triples += [("Grace", "Henry", "photo"), ("Alice", "Carol", "ticket"), ("Bob", "Emma", "letter")]
    pairs = _both_ways(triples)
    return write_prepared(root, DataFamily.PAIRS, pairs[:8], pairs[8:])


@dataclass
class Case:
    recipe: str
    method: Method
    data: Callable[[Path], Path]
    hp: dict[str, Any]
    base_model: str = "omnitune/tiny-llama"


MINILM = "omnitune/minilm"
CASES: dict[str, Case] = {
    "dpo-lora": Case(
        "llm_preference",
        Method.DPO,
        preference_data,
        LLM_HP | {"batch_size": 4, "lora_r": 4, "lora_dropout": 0.1},
    ),
    # precision bf16: Trainer autocasts on a CPU with bf16 in hardware (the planner's choice for wide models)
    "dpo-lora-cpu-bf16": Case(
        "llm_preference",
        Method.DPO,
        preference_data,
        LLM_HP | {"batch_size": 4, "lora_r": 4, "precision": "bf16"},
    ),
    "dpo-full-accumulation": Case(
        "llm_preference", Method.DPO, preference_data, LLM_HP | {"batch_size": 2, "gradient_accumulation": 2}
    ),
    "kto-full": Case("llm_preference", Method.KTO, unpaired_data, LLM_HP | {"batch_size": 4}),
    "orpo-full": Case("llm_preference", Method.ORPO, preference_data, LLM_HP | {"batch_size": 4}),
    "reward-full": Case("llm_reward", Method.REWARD_MODELING, preference_data, LLM_HP | {"batch_size": 4}),
    "grpo-full": Case(
        "llm_rl",
        Method.GRPO,
        chat_data,
        LLM_HP
        | {"rewards": ["length"], "target_length": 8, "num_generations": 2, "batch_size": 8}
        | {"max_completion_length": 6, "eval_samples": 1},
    ),
    "distill-full": Case(
        "llm_distill", Method.DISTILLATION, distill_data, LLM_HP | {"batch_size": 4, "temperature": 2.0}
    ),
    "text_classification-full": Case(
        "text_classification", Method.CLASSIFICATION, topic_data, {"batch_size": 4, "seq_len": 24}, MINILM
    ),
    "text_embeddings-full": Case(
        "text_embeddings", Method.CONTRASTIVE, pairs_data, {"batch_size": 4, "seq_len": 24}, MINILM
    ),
}


def _train(case: Case, tmp_path: Path, data: Path, name: str, **kwargs: Any) -> Any:
    hp = case.hp | {"learning_rate": 1e-2, "save_steps": PAUSE}
    if case.recipe == "llm_distill":
        hp["teacher_model"] = str(tmp_path / "teacher")
    ctx, _ = make_ctx(
        tmp_path,
        data,
        recipe=case.recipe,
        method=case.method,
        base_model=case.base_model,
        hyperparameters=hp,
        max_steps=STEPS,
        name=name,
        **kwargs,
    )
    return get_recipe(case.recipe).run(ctx), ctx


@pytest.mark.parametrize("name", list(CASES))
def test_pause_or_kill_and_resume_ends_where_a_straight_run_does(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    data = case.data(tmp_path / "data")

    def train(label: str, **kwargs: Any) -> tuple[Any, Any]:
        return _train(case, tmp_path, data, label, **kwargs)

    check_exact_resume(train, StopAfter, name, STEPS, PAUSE, ATOL)
