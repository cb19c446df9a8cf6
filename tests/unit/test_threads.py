"""A job keeps the CPU thread count its first run chose, so a resumed run sums in the same order."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnitune.recipes.llm import finetuning


def test_first_run_records_its_threads_and_a_resume_reuses_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    before = torch.get_num_threads()
    monkeypatch.delenv("OMNITUNE_NUM_THREADS", raising=False)
    try:
        monkeypatch.setattr(finetuning, "idle_physical_cores", lambda: 2)
        assert finetuning.configure_threads("cpu", {}, tmp_path / "checkpoints") == 2
        monkeypatch.setattr(finetuning, "idle_physical_cores", lambda: 1)  # the machine got busier
        assert finetuning.configure_threads("cpu", {}, tmp_path / "checkpoints") == 2  # same job: same count
        assert finetuning.configure_threads("cpu", {}, tmp_path / "other-job") == 1
        assert finetuning.configure_threads("cpu", {"num_threads": 3}, tmp_path / "checkpoints") == 3
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)
