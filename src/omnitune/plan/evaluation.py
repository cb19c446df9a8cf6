"""Score the planner on labelled intents (JSONL: text, modality, tasks, method, vague, unrealistic, pipeline).

Run: python -m omnitune.plan.evaluation tests/assets/intents-public.jsonl
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnitune.plan.builder import build_plan
from omnitune.plan.feasibility import UNREALISTIC
from omnitune.plan.schema import TrainingPlan
from omnitune.types import PipelineType


@dataclass
class Score:
    """Hit counts per criterion, and the misses for reading."""

    counts: dict[str, list[int]] = field(default_factory=dict)  # criterion -> [hits, total]
    misses: list[str] = field(default_factory=list)
    millis: list[float] = field(default_factory=list)

    def add(self, criterion: str, hit: bool, text: str) -> None:
        """Count one check of ``criterion``."""
        pair = self.counts.setdefault(criterion, [0, 0])
        pair[0] += int(hit)
        pair[1] += 1
        if not hit:
            self.misses.append(f"{criterion}: {text}")

    def rate(self, criterion: str) -> float:
        """Fraction of hits (1.0 when never checked)."""
        hits, total = self.counts.get(criterion, [0, 0])
        return hits / total if total else 1.0

    def summary(self) -> dict[str, float]:
        """Every criterion's rate, plus the median planning time in ms."""
        out = {k: round(self.rate(k), 3) for k in sorted(self.counts)}
        if self.millis:
            out["p50_ms"] = round(sorted(self.millis)[len(self.millis) // 2], 1)
        return out


def check(plan: TrainingPlan, expected: dict[str, Any], score: Score) -> None:
    """Compare one plan with its labels."""
    text = expected["text"]
    modality = plan.capabilities.modality.value if plan.capabilities.modality else None
    score.add("modality", modality == expected.get("modality"), text)
    if expected.get("tasks"):
        score.add("task", any(t.value in expected["tasks"] for t in plan.capabilities.tasks), text)
    if expected.get("method"):
        score.add("method", any(m.method.value == expected["method"] for m in plan.models), text)
    vague = bool(expected.get("vague"))
    score.add("vague", vague == (bool(plan.questions) and not plan.feasibility.ok and modality is None), text)
    flagged = any(w.startswith(UNREALISTIC) for w in plan.warnings) and bool(plan.alternatives)
    score.add("unrealistic", bool(expected.get("unrealistic")) == flagged, text)
    multi = plan.pipeline.type is not PipelineType.SINGLE and len(plan.models) > 1
    score.add("pipeline", (expected.get("pipeline") == "multi") == multi, text)


def evaluate(path: str | Path) -> Score:
    """Plan every line of ``path`` and score it."""
    score = Score()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        expected = json.loads(line)
        started = time.perf_counter()
        plan = build_plan(expected["text"])
        score.millis.append((time.perf_counter() - started) * 1000)
        check(plan, expected, score)
    return score


def main(argv: list[str]) -> None:
    """Print the score of each file given."""
    for path in argv:
        score = evaluate(path)
        print(path, json.dumps(score.summary()))
        for miss in score.misses:
            print("  miss", miss)


if __name__ == "__main__":
    main(sys.argv[1:])
