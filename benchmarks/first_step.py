"""(4) Time to the first optimiser step of `omnitune train` on a tiny model, from a cold process.

Run: .venv/bin/python -m benchmarks.run --only first_step
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, Figure, Profile, median_of
from benchmarks.fixtures import Workspace
from omnitune.data.bench import write_chat_jsonl

TARGET_S = 15.0
REQUEST = "fine-tune a small chat model on my support conversations"


def cold_train(ws: Workspace, records: int = 256) -> dict[str, float]:
    """Launch `omnitune train --max-steps 1` in a fresh home; time to the first metrics event."""
    with tempfile.TemporaryDirectory(dir=ws.root) as tmp:
        home = Path(tmp)
        data = write_chat_jsonl(home / "chat.jsonl", records, seed=2)  # enough for the plan's batch
        env = {**os.environ, "OMNITUNE_HOME": str(home / "home"), "HF_HUB_OFFLINE": "1"}
        command = [
            sys.executable, "-m", "omnitune.cli.main", "train", REQUEST, "--data", str(data),
            "--base-model", "omnitune/tiny-llama", "--method", "lora", "--max-steps", "1", "--json",
        ]  # fmt: skip
        launched = time.time()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        total = time.time() - launched
        if done.returncode != 0:
            raise RuntimeError(f"omnitune train failed ({done.returncode}): {done.stdout[-1500:]}")
        first = _first_metrics_time(home / "home" / "jobs")
    return {"first_step_s": first - launched, "total_s": total}


def _first_metrics_time(jobs_dir: Path) -> float:
    for events in sorted(jobs_dir.glob("*/events.jsonl")):
        for line in events.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("event") == "metrics":
                return datetime.fromisoformat(record["ts"]).timestamp()
    raise RuntimeError(f"{jobs_dir}: no job wrote a metrics event")


def run(profile: Profile, ws: Workspace, shared: dict[str, Any]) -> BenchResult:
    """Median over cold launches (smoke: one launch)."""
    samples = [cold_train(ws) for _ in range(max(1, profile.subprocess_runs))]
    first = median_of(samples, "first_step_s")
    return BenchResult(
        name="first_step",
        title="Time to first optimiser step, `omnitune train` cold (tiny model)",
        figures=[
            Figure("first optimiser step", round(first, 2), "s", TARGET_S, higher=False),
            Figure(
                "whole command (1 step, eval, save, register)",
                round(median_of(samples, "total_s"), 2),
                "s",
                higher=False,
            ),
        ],
        details={
            "runs": samples,
            "command": f"omnitune train {REQUEST!r} --base-model omnitune/tiny-llama "
            "--method lora --max-steps 1",
        },
    )
