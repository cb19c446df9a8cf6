"""The evaluation report: metrics, baseline and deltas, gates, samples; JSON plus a readable summary."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from omnitune.evaluate.gates import GateResult
from omnitune.evaluate.text_metrics import LOWER_IS_BETTER


class Sample(BaseModel):
    """One prompt with the model's (and the baseline's) reply."""

    prompt: str
    reference: str | None = None
    prediction: str
    baseline_prediction: str | None = None
    judge_score: float | None = None


class EvalReport(BaseModel):
    """Everything one `omnitune eval` measured."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    model: str
    against: str | None = None
    data: str = ""
    examples: int = 0
    metrics: dict[str, float] = Field(default_factory=dict)
    baseline_metrics: dict[str, float] = Field(default_factory=dict)
    gates: list[GateResult] = Field(default_factory=list)
    judge: str | None = None
    samples: list[Sample] = Field(default_factory=list)
    samples_dir: str | None = None  # generated media: sample predictions are files relative to it
    extractors: dict[str, str] = Field(default_factory=dict)  # metric -> the feature extractor it used
    skipped: dict[str, str] = Field(default_factory=dict)  # metric -> why it was not measured
    notes: list[str] = Field(default_factory=list)  # what a reader must know to read the numbers
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def deltas(self) -> dict[str, float]:
        """Metric minus baseline, for metrics measured on both."""
        return {
            k: v - self.baseline_metrics[k] for k, v in self.metrics.items() if k in self.baseline_metrics
        }

    @property
    def passed(self) -> bool | None:
        """All gates passed (None when there were no gates)."""
        return all(g.passed for g in self.gates) if self.gates else None

    def to_json_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data, with deltas and the verdict included."""
        return {**self.model_dump(mode="json"), "deltas": self.deltas, "passed": self.passed}

    def summary(self) -> str:
        """A readable summary: one line per metric, then the gates and the verdict."""
        lines = [
            f"Evaluation of {self.model}" + (f" against {self.against}" if self.against else ""),
            f"data: {self.data} ({self.examples} examples)"
            + (f"; judge: {self.judge}" if self.judge else ""),
        ]
        for key, value in self.metrics.items():
            line = f"  {key:14} {value:10.4f}"
            if key in self.baseline_metrics:
                before = self.baseline_metrics[key]
                better = value < before if key in LOWER_IS_BETTER else value > before
                line += (
                    f"   baseline {before:10.4f}   delta {value - before:+.4f} {'better' if better else ''}"
                )
            lines.append(line.rstrip())
        for key, extractor in self.extractors.items():
            lines.append(f"  {key} measured with {extractor}")
        for key, reason in self.skipped.items():
            lines.append(f"  {key} skipped: {reason}")
        lines += [f"  note: {note}" for note in self.notes]
        if self.samples_dir:
            lines.append(f"samples: {self.samples_dir}")
        for gate in self.gates:
            lines.append(f"  gate [{'PASS' if gate.passed else 'FAIL'}] {gate.gate}: {gate.detail}")
        if self.passed is not None:
            lines.append("verdict: PASSED" if self.passed else "verdict: FAILED")
        return "\n".join(lines)

    def write(self, directory: Path) -> Path:
        """Write ``<id>.json`` and ``<id>.txt`` under ``directory``; return the JSON path."""
        import json

        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.id}.json"
        path.write_text(json.dumps(self.to_json_dict(), indent=2), encoding="utf-8")
        (directory / f"{self.id}.txt").write_text(self.summary() + "\n", encoding="utf-8")
        return path
