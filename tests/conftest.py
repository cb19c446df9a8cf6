"""Shared fixtures: every test gets its own OMNITUNE_HOME and offline settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(autouse=True)
def omnitune_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh state directory per test, so tests never share or touch ~/.omnitune."""
    from omnitune.settings import get_settings

    home = tmp_path / "omnitune-home"
    monkeypatch.setenv("OMNITUNE_HOME", str(home))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
