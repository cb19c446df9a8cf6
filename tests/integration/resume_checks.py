"""The exact-resume check both resume tests run: straight, paused-then-resumed and resumed-after-kill runs
of one recipe must end with the same saved tensors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from omnitune.recipes.checkpointing import latest_checkpoint

Train = Callable[..., tuple[Any, Any]]  # (label, **context overrides) -> (RecipeResult, RecipeContext)


def check_exact_resume(train: Train, stop_after: Any, name: str, steps: int, pause: int, atol: float) -> None:
    """Straight to ``steps`` (periodic checkpoint at ``pause``); paused at ``pause`` then resumed in the
    same job dirs; resumed from the straight run's checkpoint (a killed worker): all three end alike."""
    straight, straight_ctx = train("straight")
    assert (straight.status, straight.step) == ("completed", steps)
    periodic = latest_checkpoint(straight_ctx.checkpoints_dir)
    assert periodic is not None and periodic.name.endswith(f"{pause:08d}")

    paused, ctx = train("resumed", control=stop_after(pause))
    assert (paused.status, paused.step) == ("paused", pause)
    checkpoint = latest_checkpoint(ctx.checkpoints_dir)
    assert checkpoint is not None and checkpoint.name.endswith(f"{pause:08d}")
    resumed, resumed_ctx = train("resumed", resume_from=checkpoint)
    killed, killed_ctx = train("after-kill", resume_from=periodic)
    assert (resumed.status, resumed.step) == (killed.status, killed.step) == ("completed", steps)

    expected = saved_tensors(straight_ctx.output_dir)
    assert max_difference(f"{name} paused", expected, saved_tensors(resumed_ctx.output_dir)) <= atol
    assert max_difference(f"{name} killed", expected, saved_tensors(killed_ctx.output_dir)) <= atol


def saved_tensors(directory: Path) -> dict[str, torch.Tensor]:
    """Every tensor of every ``*.safetensors`` file under ``directory``, keyed by file and name."""
    from safetensors.torch import load_file

    tensors = {}
    for path in sorted(directory.rglob("*.safetensors")):
        for key, value in load_file(str(path)).items():
            tensors[f"{path.relative_to(directory)}:{key}"] = value
    return tensors


def max_difference(name: str, expected: dict[str, torch.Tensor], got: dict[str, torch.Tensor]) -> float:
    """The largest absolute difference between matching tensors (printed with where it is)."""
    assert expected and expected.keys() == got.keys()
    differences = {key: float((expected[key].double() - got[key].double()).abs().max()) for key in expected}
    worst = max(differences, key=lambda key: differences[key])
    where = f" ({worst})" if differences[worst] else ""
    print(f"{name}: {len(differences)} tensors, max |straight - resumed| = {differences[worst]:.3g}{where}")
    return differences[worst]
