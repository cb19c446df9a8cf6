"""Model choices an expert would make: general instruct models unless a specialty is asked for."""

from __future__ import annotations

import pytest

from omnitune.plan import build_plan


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("make our 8B model answer like our support team", "llama-3.1-8b-instruct"),
        ("a bot that answers customer questions about our product", "llama-3.1-8b-instruct"),
        ("solve math word problems step by step", "deepseek-r1-distill-llama-8b"),
        ("a SQL generation model for our Postgres schema", "qwen2.5-coder-7b-instruct"),
        ("images of my product in different settings", "sdxl-base-1.0"),
    ],
)
def test_expert_model_choices(request_text: str, expected: str) -> None:
    assert build_plan(request_text).models[0].base_model == expected
