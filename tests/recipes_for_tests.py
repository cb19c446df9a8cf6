"""A tiny real recipe for runtime tests: linear regression trained with SGD + momentum.

Full-state checkpoints (weights, optimiser, sampler and global RNG, step) make resume exact;
it obeys ``ctx.control`` between steps and ``ctx.max_steps``; ``ctx.extra["sleep_s"]`` slows
each step so a test can pause, kill or meter it mid-run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from omnitune.plan.schema import ModelChoice, TrainingPlan
from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.checkpointing import atomic_checkpoint_dir
from omnitune.types import Method, Modality

_STOPPED = {"pause": "paused", "budget": "budget_frozen", "cancel": "cancelled"}


def write_linear_dataset(directory: Path, n: int = 64, dim: int = 4) -> Path:
    """Write a prepared dataset (manifest + train.jsonl) of y = w.x + b + noise."""
    from omnitune.data.manifest import DatasetManifest, SplitInfo
    from omnitune.types import DataFamily

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, dim, generator=gen)
    y = x @ torch.arange(1.0, dim + 1) + 0.5 + 0.01 * torch.randn(n, generator=gen)
    directory.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"x": xi.tolist(), "y": float(yi)}) for xi, yi in zip(x, y, strict=True)]
    (directory / "train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    DatasetManifest(
        modality=Modality.LLM,
        family=DataFamily.TEXT,
        source_format="jsonl",
        source="generated",
        content_hash="linear-test-data",
        splits={"train": SplitInfo(file="train.jsonl", records=n)},
    ).write(directory)
    return directory


class LinearRecipe:
    """y = Wx + b by mini-batch SGD; each step samples a batch from a checkpointed generator."""

    key = "test_linear"
    modality = Modality.LLM
    methods = frozenset({Method.FULL_FINETUNE})
    _initial = float("nan")

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train to ``ctx.max_steps``, checkpointing every ``checkpoint_every`` steps."""
        torch.set_num_threads(1)
        torch.manual_seed(ctx.seed)
        x, y = self._load(ctx.data_dir)
        model = torch.nn.Linear(x.shape[1], 1)
        optim = torch.optim.SGD(model.parameters(), lr=float(ctx.extra.get("lr", 0.02)), momentum=0.9)
        sampler = torch.Generator().manual_seed(ctx.seed)
        step = self._restore(ctx.resume_from, model, optim, sampler) if ctx.resume_from else 0
        every = int(ctx.extra.get("checkpoint_every", 2))
        max_steps = ctx.max_steps or 20
        initial = self._initial if ctx.resume_from else self._full_loss(model, x, y)
        while step < max_steps:
            reason = ctx.control.stop_requested()
            if reason is not None:
                if reason != "cancel":
                    self._save(ctx.checkpoints_dir, step, model, optim, sampler, initial)
                return RecipeResult(status=_STOPPED[reason], step=step)  # type: ignore[arg-type]
            started = time.perf_counter()
            idx = torch.randint(0, x.shape[0], (8,), generator=sampler)
            jitter = 1e-3 * torch.randn(1)  # draws on the global RNG, so its checkpointed state matters
            loss = torch.nn.functional.mse_loss(model(x[idx]).squeeze(1) + jitter, y[idx])
            optim.zero_grad()
            loss.backward()
            grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1e9))
            optim.step()
            step += 1
            ctx.events.emit(
                "metrics",
                step=step,
                loss=loss.item(),
                lr=optim.param_groups[0]["lr"],
                grad_norm=grad_norm,
                samples_per_s=8 / (time.perf_counter() - started),
            )
            if step % every == 0:
                self._save(ctx.checkpoints_dir, step, model, optim, sampler, initial)
            time.sleep(float(ctx.extra.get("sleep_s", 0.0)))
        ctx.output_dir.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), ctx.output_dir / "model.pt")
        final = self._full_loss(model, x, y)
        return RecipeResult(
            status="completed",
            step=step,
            artefact_dir=ctx.output_dir,
            metrics={"initial_loss": initial, "final_loss": final},
        )

    @torch.no_grad()
    def _full_loss(self, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
        return float(torch.nn.functional.mse_loss(model(x).squeeze(1), y))

    def _load(self, data_dir: Path) -> tuple[torch.Tensor, torch.Tensor]:
        rows = [json.loads(line) for line in (data_dir / "train.jsonl").read_text().splitlines()]
        return torch.tensor([r["x"] for r in rows]), torch.tensor([r["y"] for r in rows])

    def _save(
        self,
        ckpt_dir: Path,
        step: int,
        model: torch.nn.Module,
        optim: torch.optim.Optimizer,
        sampler: torch.Generator,
        initial: float,
    ) -> None:
        with atomic_checkpoint_dir(ckpt_dir, step) as out:
            torch.save(
                {
                    "model": model.state_dict(),
                    "optim": optim.state_dict(),
                    "step": step,
                    "initial_loss": initial,
                    "sampler": sampler.get_state(),
                    "rng": torch.get_rng_state(),
                },
                out / "state.pt",
            )

    def _restore(
        self, path: Path, model: torch.nn.Module, optim: torch.optim.Optimizer, sampler: torch.Generator
    ) -> int:
        state = torch.load(path / "state.pt", weights_only=False)
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optim"])
        sampler.set_state(state["sampler"])
        torch.set_rng_state(state["rng"])
        self._initial = float(state["initial_loss"])
        return int(state["step"])


TESTS_DIR = Path(__file__).resolve().parent
RECIPE_TARGET = "recipes_for_tests:LinearRecipe"


def worker_pythonpath() -> str:
    """PYTHONPATH for worker subprocesses: `sitecustomize` registering test recipes, and this dir."""
    import os

    parts = [str(TESTS_DIR / "worker_site"), str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in parts if p)


def linear_plan(budget_usd: float | None = None) -> TrainingPlan:
    """A one-model plan naming the test recipe."""
    plan = TrainingPlan(
        request="fit a line",
        models=[
            ModelChoice(
                role="regressor", base_model="tiny-linear", method=Method.FULL_FINETUNE, recipe="test_linear"
            )
        ],
    )
    plan.training.budget_usd = budget_usd
    return plan
