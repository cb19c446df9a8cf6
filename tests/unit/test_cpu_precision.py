"""The CPU precision rule: bf16 only with bf16 in hardware, for LLM recipes and models of width >= 256."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnitune.catalog import cpu
from omnitune.catalog.entries import CatalogModel, get_model
from omnitune.plan import resources
from omnitune.types import RecipeKey


def _model(entry_id: str) -> CatalogModel:
    return get_model(entry_id)


def test_cpu_flags_read_the_first_cpu(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16\n\nprocessor\t: 1\nflags\t: fpu\n"
    )
    assert cpu.cpu_flags.__wrapped__(info) == frozenset({"fpu", "sse2", "avx512f", "avx512_bf16"})
    assert cpu.cpu_flags.__wrapped__(tmp_path / "missing") == frozenset()


@pytest.mark.parametrize(
    ("flags", "entry", "recipe", "expected"),
    [
        (["avx512_bf16"], "llama-3.1-8b-instruct", RecipeKey.LLM_SFT, "bf16"),
        (["amx_bf16"], "llama-3.1-8b-instruct", RecipeKey.LLM_PREFERENCE, "bf16"),
        ([], "llama-3.1-8b-instruct", RecipeKey.LLM_SFT, "fp32"),  # emulated bf16 is slower
        (["avx512_bf16"], "omnitune/tiny-llama", RecipeKey.LLM_SFT, "fp32"),  # width 128: casts cost more
        (["avx512_bf16"], "llama-3.1-8b-instruct", RecipeKey.TEXT_CLASSIFICATION, "fp32"),  # no CPU autocast
    ],
)
def test_cpu_precision(
    monkeypatch: pytest.MonkeyPatch, flags: list[str], entry: str, recipe: RecipeKey, expected: str
) -> None:
    monkeypatch.setattr(resources, "cpu_bf16_flags", lambda: flags)
    precision, reason = resources.cpu_precision(_model(entry), recipe)
    assert precision == expected
    assert ("bf16" if expected == "bf16" else "fp32") in reason
