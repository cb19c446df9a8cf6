"""Side by side: the same prompts through two models; outputs with latency, metric deltas, winners.

A comparison's rows can then be rated (by a person or a judge) and turned into a preference dataset
(`omnitune.evaluate.feedback`), closing the loop from user feedback back to DPO/KTO training.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from omnitune.evaluate.examples import EvalExample
from omnitune.evaluate.language_model import LanguageModel
from omnitune.evaluate.llm import EvalOptions, measure, prompt_examples
from omnitune.evaluate.text_metrics import LOWER_IS_BETTER

Side = Literal["a", "b", "tie"]
NOT_COMPARED = {"scored_tokens"}


class ComparedRow(BaseModel):
    """One prompt and both models' replies."""

    messages: list[dict[str, str]]
    reference: str | None = None
    output_a: str
    output_b: str
    latency_a_s: float
    latency_b_s: float
    judge_a: float | None = None
    judge_b: float | None = None
    preferred: Side | None = None  # filled in by a rating


class Comparison(BaseModel):
    """Two models on the same prompts."""

    model_a: str
    model_b: str
    rows: list[ComparedRow]
    metrics_a: dict[str, float] = Field(default_factory=dict)
    metrics_b: dict[str, float] = Field(default_factory=dict)
    deltas: dict[str, float] = Field(default_factory=dict, description="b minus a")
    winners: dict[str, Side] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def write(self, path: Path) -> Path:
        """Save as JSON (the file `omnitune models rate` reads)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> Comparison:
        """Load a saved comparison."""
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))


def compare_models(
    model_a: LanguageModel,
    model_b: LanguageModel,
    examples: list[EvalExample],
    options: EvalOptions | None = None,
) -> Comparison:
    """Run the same examples through both models and compare every metric both produced."""
    options = options or EvalOptions()
    first, second = measure(model_a, examples, options), measure(model_b, examples, options)
    rows = []
    for i, example in enumerate(prompt_examples(examples)):
        a, b = first.replies[i], second.replies[i]
        rows.append(
            ComparedRow(
                messages=example.messages,
                reference=example.reference,
                output_a=a.text,
                output_b=b.text,
                latency_a_s=a.latency_s,
                latency_b_s=b.latency_s,
                judge_a=first.scores[i] if first.scores else None,
                judge_b=second.scores[i] if second.scores else None,
            )
        )
    shared = [k for k in first.metrics if k in second.metrics and k not in NOT_COMPARED]
    return Comparison(
        model_a=model_a.ref,
        model_b=model_b.ref,
        rows=rows,
        metrics_a=first.metrics,
        metrics_b=second.metrics,
        deltas={k: second.metrics[k] - first.metrics[k] for k in shared},
        winners={k: winner(k, first.metrics[k], second.metrics[k]) for k in shared},
    )


def winner(metric: str, a: float, b: float, rel_tol: float = 1e-9) -> Side:
    """Which side is better on ``metric`` (lower wins for loss, perplexity and latency)."""
    if abs(a - b) <= rel_tol * max(abs(a), abs(b), 1.0):
        return "tie"
    a_better = a < b if metric in LOWER_IS_BETTER else a > b
    return "a" if a_better else "b"
