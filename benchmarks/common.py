"""Shared by every benchmark: run profiles, alternating timed runs, medians, ratios and results."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Profile:
    """How big each benchmark runs: smoke (seconds, for the test), quick (`make bench`), full."""

    name: str
    rounds: int  # alternating rounds of (omnitune, comparison)
    train_records: int  # chat records one training run sees (one epoch)
    prep_records: int  # records for the data-preparation benchmark
    planner_requests: int  # planner requests timed warm (cycling over the public eval set)
    model: str  # "bench10m" (~10M Llama) or "smoke" (a few hundred thousand parameters)
    subprocess_runs: int  # cold CLI runs (first step, planner CLI)


PROFILES = {
    "smoke": Profile("smoke", 1, 24, 300, 20, "smoke", 0),
    # quick: 20 optimiser steps per training run (16 records were 2 steps: the first step's warm-up
    # then dominated the throughput ratio); about 4 minutes on an idle 2-core machine
    "quick": Profile("quick", 2, 160, 20_000, 200, "bench10m", 1),
    "full": Profile("full", 3, 160, 100_000, 1000, "bench10m", 3),
}


@dataclass
class Figure:
    """One reported number with its target (``higher`` says which way is better)."""

    name: str
    value: float | None
    unit: str = ""
    target: float | None = None
    higher: bool = True
    note: str = ""

    @property
    def met(self) -> bool | None:
        """Whether the target is met (None when there is no target or no value)."""
        if self.target is None or self.value is None:
            return None
        return self.value >= self.target if self.higher else self.value <= self.target


@dataclass
class BenchResult:
    """What one benchmark writes to results/<name>.json."""

    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None  # why it did not run here
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (figures carry whether their target is met)."""
        data = asdict(self)
        data["figures"] = [{**asdict(f), "met": f.met} for f in self.figures]
        return data

    def write(self, directory: Path = RESULTS_DIR) -> Path:
        """Write results/<name>.json and return its path."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.name}.json"
        path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
        return path


def alternate(
    runs: dict[str, Callable[[], dict[str, float]]], rounds: int
) -> dict[str, list[dict[str, float]]]:
    """Run each contender once per round, in turn (order flipped every round, so drift cancels)."""
    names = list(runs)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for round_no in range(rounds):
        for name in names if round_no % 2 == 0 else reversed(names):
            results[name].append(runs[name]())
    return results


def median_of(samples: list[dict[str, float]], key: str) -> float:
    """Median of one measured quantity over runs."""
    return float(statistics.median(s[key] for s in samples))


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def machine() -> dict[str, Any]:
    """Where the figures were taken (the load average says how shared the machine was)."""
    import torch

    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
        "loadavg_1m": round(load[0], 2),
        "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
