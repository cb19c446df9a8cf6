"""(5) Planner latency: warm p50/p99 of build_plan over the public eval set, and cold `omnitune plan`.

Run: .venv/bin/python -m benchmarks.run --only planner
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, Figure, Profile, percentile
from benchmarks.fixtures import Workspace

TARGET_P50_MS = 20.0
EVAL_SET = Path(__file__).resolve().parents[1] / "tests" / "assets" / "intents-public.jsonl"


def warm_latencies(requests: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per build_plan call, after a few warm-up requests."""
    from omnitune.plan import build_plan

    texts = [
        json.loads(line)["text"] for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    for text in texts[: min(len(texts), 5)]:
        build_plan(text)
    wall, cpu = [], []
    for i in range(requests):
        start, cpu_start = time.perf_counter(), time.process_time()
        build_plan(texts[i % len(texts)])
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    return wall, cpu


def cold_cli_seconds() -> float:
    """Wall time of one `omnitune plan "..." --json` in a fresh process."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [
        sys.executable,
        "-m",
        "omnitune.cli.main",
        "plan",
        "LoRA fine-tune a chat model on my support tickets",
        "--json",
    ]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"omnitune plan failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.perf_counter() - start


def run(profile: Profile, ws: Workspace, shared: dict[str, Any]) -> BenchResult:
    """Warm percentiles in this process; cold CLI median over fresh processes."""
    millis, cpu = warm_latencies(profile.planner_requests)
    cold = [cold_cli_seconds() for _ in range(profile.subprocess_runs)]
    figures = [
        Figure("warm p50", round(percentile(millis, 50), 2), "ms", TARGET_P50_MS, higher=False),
        Figure("warm p99", round(percentile(millis, 99), 2), "ms", higher=False),
        # the machine is shared: CPU time per request is the steadier figure
        Figure("warm p50 CPU time", round(percentile(cpu, 50), 2), "ms", TARGET_P50_MS, higher=False),
    ]
    if cold:
        figures.append(
            Figure("cold `omnitune plan` (median)", round(sorted(cold)[len(cold) // 2], 2), "s", higher=False)
        )
    return BenchResult(
        name="planner",
        title="Planner latency over the public eval set",
        figures=figures,
        details={"requests": len(millis), "cold_cli_s": cold, "eval_set": str(EVAL_SET.name)},
    )
