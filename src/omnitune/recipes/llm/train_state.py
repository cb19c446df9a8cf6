"""The full training state in a checkpoint directory, and its exact restoration.

A checkpoint holds the trainable weights (adapter or full), optimiser, scheduler, the python,
numpy and torch RNG states, the tokenizer and a JSON progress record (step, data position,
metrics so far). Restoring all of it makes N/2 steps + kill + resume equal N straight steps.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnitune.recipes.checkpointing import atomic_checkpoint_dir, checkpoint_name, latest_checkpoint

if TYPE_CHECKING:
    import torch

STATE_FILE = "trainer_state.json"
WEIGHTS_FILE = "trainable.safetensors"


@dataclass
class Progress:
    """Where training stands: the step, the data position and what was measured so far."""

    step: int = 0
    epoch: int = 0
    micro_batch: int = 0  # index of the next micro-batch within the epoch
    tokens_seen: int = 0
    max_steps: int = 0
    elapsed_s: float = 0.0
    initial_loss: float | None = None
    last_loss: float | None = None
    eval_loss_before: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The parameters that train (adapter or unfrozen weights), detached and contiguous."""
    return {n: p.detach().contiguous() for n, p in model.named_parameters() if p.requires_grad}


def save_checkpoint(
    checkpoints_dir: Path,
    progress: Progress,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    tokenizer: Any = None,
) -> Path:
    """Write the full state atomically as ``checkpoints/step-N``; returns its path."""
    import torch
    from safetensors.torch import save_file

    with atomic_checkpoint_dir(checkpoints_dir, progress.step) as tmp:
        save_file({k: v.cpu() for k, v in trainable_state(model).items()}, str(tmp / WEIGHTS_FILE))
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
        torch.save(rng_state(), tmp / "rng.pt")
        if tokenizer is not None:
            tokenizer.save_pretrained(tmp / "tokenizer")
        (tmp / STATE_FILE).write_text(json.dumps(asdict(progress), indent=2), encoding="utf-8")
    return checkpoints_dir / checkpoint_name(progress.step)


def resolve_checkpoint(path: Path) -> Path:
    """A checkpoint directory itself, or the newest complete one inside a checkpoints directory."""
    if (path / STATE_FILE).is_file():
        return path
    latest = latest_checkpoint(path)
    if latest is None:
        raise FileNotFoundError(f"{path}: no complete checkpoint (step-N/{STATE_FILE}) to resume from")
    return latest


def read_progress(checkpoint: Path) -> Progress:
    """The progress record of a checkpoint."""
    return Progress(**json.loads((checkpoint / STATE_FILE).read_text(encoding="utf-8")))


def load_checkpoint(
    checkpoint: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any
) -> Progress:
    """Restore weights, optimiser, scheduler and RNG states in place; returns the progress."""
    import torch
    from safetensors.torch import load_file

    weights = load_file(str(checkpoint / WEIGHTS_FILE))
    expected = set(trainable_state(model))
    if set(weights) != expected:
        missing = sorted(expected - set(weights))[:3]
        raise ValueError(
            f"{checkpoint}/{WEIGHTS_FILE}: does not match this model's trainable weights "
            f"(e.g. missing {missing}); resume with the same base model and method"
        )
    model.load_state_dict(weights, strict=False)
    optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", weights_only=True))
    scheduler.load_state_dict(torch.load(checkpoint / "scheduler.pt", weights_only=True))
    restore_rng_state(torch.load(checkpoint / "rng.pt", weights_only=False))
    return read_progress(checkpoint)


def rng_state() -> dict[str, Any]:
    """Every random generator training draws from."""
    import numpy as np
    import torch

    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Put every random generator back where a checkpoint left it."""
    import numpy as np
    import torch

    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
