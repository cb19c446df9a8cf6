"""Shared by the llm_sft tests: tiny prepared datasets, a JSONL event sink, stop controls, and a
subprocess driver (`python tests/integration/llm_sft_helpers.py SPEC.json`) used to kill -9 a run."""

from __future__ import annotations

import json
import os
import random
import signal
import sys
from pathlib import Path
from typing import Any

from omnitune.data.manifest import DatasetManifest, SplitInfo
from omnitune.plan.schema import ModelChoice, Training, TrainingPlan
from omnitune.recipes.base import RecipeContext, RecipeResult, StopReason
from omnitune.types import DataFamily, Method, Modality

BASE = "omnitune/tiny-llama"


OPPOSITES = {
    "hot": "cold", "up": "down", "big": "small", "fast": "slow", "light": "dark",
    "open": "closed", "early": "late", "full": "empty", "happy": "sad", "loud": "quiet",
}  # fmt: skip


def opposite_chat(rng: random.Random) -> dict[str, Any]:
    """One learnable chat record: the assistant names the opposite of a word."""
    word = rng.choice(sorted(OPPOSITES))
    return {
        "messages": [
            {"role": "user", "content": f"opposite of {word}"},
            {"role": "assistant", "content": OPPOSITES[word]},
        ]
    }


def counting_text(rng: random.Random) -> dict[str, Any]:
    """One learnable text record: a counting run from a random start."""
    start = rng.randint(0, 50)
    return {"text": " ".join(str(n) for n in range(start, start + 12))}


def write_dataset(directory: Path, family: DataFamily, train: int = 160, validation: int = 32) -> Path:
    """A prepared dataset dir (manifest.json + train.jsonl + validation.jsonl), seeded."""
    rng = random.Random(0)
    make = opposite_chat if family == DataFamily.CHAT else counting_text
    directory.mkdir(parents=True, exist_ok=True)
    splits = {}
    for split, count in (("train", train), ("validation", validation)):
        lines = "".join(json.dumps(make(rng)) + "\n" for _ in range(count))
        (directory / f"{split}.jsonl").write_text(lines, encoding="utf-8")
        splits[split] = SplitInfo(file=f"{split}.jsonl", records=count)
    DatasetManifest(
        modality=Modality.LLM,
        family=family,
        source_format=family.value,
        source="tests",
        content_hash="test",
        splits=splits,
    ).write(directory)
    return directory


class JsonlSink:
    """Appends each event as one JSON line, like the runtime's events.jsonl."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def emit(self, event: str, /, **fields: Any) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"event": event, **fields}) + "\n")

    def read(self, event: str | None = None) -> list[dict[str, Any]]:
        lines = self.path.read_text(encoding="utf-8").splitlines() if self.path.exists() else []
        records = [json.loads(line) for line in lines]
        return [r for r in records if event is None or r["event"] == event]


class StopAfter:
    """Requests ``reason`` once ``step`` optimiser steps are done ("kill" sends itself SIGKILL)."""

    def __init__(self, sink: JsonlSink, step: int | None = None, reason: str = "pause") -> None:
        self.sink, self.step, self.reason = sink, step, reason

    def stop_requested(self) -> StopReason | None:
        done = [r["step"] for r in self.sink.read("metrics")]
        if self.step is None or not done or done[-1] < self.step:
            return None
        if self.reason == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        return self.reason  # type: ignore[return-value]


def make_context(
    root: Path,
    method: str,
    hyperparameters: dict[str, Any],
    *,
    family: DataFamily = DataFamily.CHAT,
    stop_step: int | None = None,
    stop_reason: str = "pause",
    resume_from: Path | None = None,
    base_model: str = BASE,
) -> tuple[RecipeContext, JsonlSink]:
    """A RecipeContext over ``root`` (data/, out/, checkpoints/, events.jsonl)."""
    data_dir = root / "data"
    if not (data_dir / "manifest.json").exists():
        write_dataset(data_dir, family)
    plan = TrainingPlan(
        models=[ModelChoice(role="llm", base_model=base_model, method=Method(method), recipe="llm_sft")],
        training=Training(hyperparameters=hyperparameters),
    )
    sink = JsonlSink(root / "events.jsonl")
    ctx = RecipeContext(
        plan=plan,
        model=plan.models[0],
        data_dir=data_dir,
        output_dir=root / "out",
        checkpoints_dir=root / "checkpoints",
        events=sink,
        control=StopAfter(sink, stop_step, stop_reason),
        resume_from=resume_from,
    )
    return ctx, sink


def run_recipe(ctx: RecipeContext) -> RecipeResult:
    """Run llm_sft through the registry, as the runtime does."""
    from omnitune.recipes.registry import get_recipe

    return get_recipe("llm_sft").run(ctx)


def main(spec_path: str) -> None:
    """Subprocess entry: run the recipe described by a JSON spec; write result.json beside it."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    resume = Path(spec["resume_from"]) if spec.get("resume_from") else None
    ctx, _ = make_context(
        Path(spec["root"]),
        spec["method"],
        spec["hyperparameters"],
        stop_step=spec.get("stop_step"),
        stop_reason=spec.get("stop_reason", "pause"),
        resume_from=resume,
    )
    result = run_recipe(ctx)
    out = {"status": result.status, "step": result.step, "metrics": result.metrics}
    Path(spec["root"], "result.json").write_text(json.dumps(out), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
