"""Evaluate an LLM on held-out data: loss/perplexity, reference metrics, a judge, against a baseline."""

from __future__ import annotations

from dataclasses import dataclass, field

from omnitune.evaluate.examples import EvalExample
from omnitune.evaluate.gates import check_gates
from omnitune.evaluate.judge import DEFAULT_RUBRIC, Judge, judge_answer
from omnitune.evaluate.language_model import LanguageModel, Reply
from omnitune.evaluate.report import EvalReport, Sample
from omnitune.evaluate.text_metrics import label_accuracy, reference_metrics


@dataclass
class EvalOptions:
    """What to measure besides loss: generation length, judge, gates, samples kept."""

    max_new_tokens: int = 32
    judge: Judge | None = None
    rubric: str = DEFAULT_RUBRIC
    gates: list[str] = field(default_factory=list)
    keep_samples: int = 20


@dataclass
class Measurement:
    """One model's metrics, its replies (one per prompt example) and any judge scores."""

    metrics: dict[str, float]
    replies: list[Reply]
    scores: list[float]

    @property
    def predictions(self) -> list[str]:
        """The reply texts."""
        return [r.text for r in self.replies]


def evaluate_llm(
    model: LanguageModel,
    examples: list[EvalExample],
    *,
    baseline: LanguageModel | None = None,
    options: EvalOptions | None = None,
    data_label: str = "",
) -> EvalReport:
    """Measure ``model`` (and ``baseline`` on the same examples) and check the gates."""
    options = options or EvalOptions()
    own = measure(model, examples, options)
    judge = options.judge.name if options.judge else None
    report = EvalReport(
        model=model.ref, data=data_label, examples=len(examples), metrics=own.metrics, judge=judge
    )
    base_predictions: list[str] = []
    if baseline is not None:
        base = measure(baseline, examples, options)
        report.against, report.baseline_metrics, base_predictions = (
            baseline.ref,
            base.metrics,
            base.predictions,
        )
    report.samples = _samples(examples, own.predictions, base_predictions, own.scores, options.keep_samples)
    report.gates = check_gates(options.gates, report.metrics, report.baseline_metrics if baseline else None)
    return report


def measure(model: LanguageModel, examples: list[EvalExample], options: EvalOptions) -> Measurement:
    """Loss, replies, reference metrics and judge scores of one model on the examples."""
    metrics = model.loss(examples)
    prompts = prompt_examples(examples)
    replies = [model.reply(e.messages, max_new_tokens=options.max_new_tokens) for e in prompts]
    predictions = [r.text for r in replies]
    if replies:
        metrics["latency_s"] = sum(r.latency_s for r in replies) / len(replies)
    scored = [(p, e.reference) for p, e in zip(predictions, prompts, strict=True) if e.reference is not None]
    if scored:
        metrics.update(reference_metrics([p for p, _ in scored], [str(r) for _, r in scored]))
    labelled = [(p, e.label) for p, e in zip(predictions, prompts, strict=True) if e.label is not None]
    if labelled:
        metrics["accuracy"] = label_accuracy([p for p, _ in labelled], [str(lab) for _, lab in labelled])
    scores: list[float] = []
    if options.judge is not None and prompts:
        scores = [
            judge_answer(options.judge, prompt_text(e), p, e.reference, options.rubric).score
            for e, p in zip(prompts, predictions, strict=True)
        ]
        metrics["judge_score"] = sum(scores) / len(scores)
    return Measurement(metrics, replies, scores)


def prompt_examples(examples: list[EvalExample]) -> list[EvalExample]:
    """The examples that carry a chat to reply to (plain texts are scored by loss only)."""
    return [e for e in examples if e.messages]


def prompt_text(example: EvalExample) -> str:
    """A chat as readable ``role: content`` lines."""
    return "\n".join(f"{m['role']}: {m['content']}" for m in example.messages)


def _samples(
    examples: list[EvalExample], predictions: list[str], base: list[str], scores: list[float], keep: int
) -> list[Sample]:
    samples = []
    for i, (example, prediction) in enumerate(
        zip(prompt_examples(examples)[:keep], predictions, strict=False)
    ):
        samples.append(
            Sample(
                prompt=prompt_text(example),
                reference=example.reference,
                prediction=prediction,
                baseline_prediction=base[i] if i < len(base) else None,
                judge_score=scores[i] if i < len(scores) else None,
            )
        )
    return samples
