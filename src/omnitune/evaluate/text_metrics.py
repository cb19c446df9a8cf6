"""Reference-based text metrics: exact match, accuracy, BLEU and chrF (sacrebleu), ROUGE (rouge-score)."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

HIGHER_IS_BETTER = {"exact_match", "accuracy", "bleu", "chrf", "rouge1", "rouge2", "rougeL", "judge_score"}
LOWER_IS_BETTER = {
    "loss",
    "perplexity",
    "latency_s",
    "wer",
    "cer",
    "fid",
    "kid",
    "fad",
    "frame_fid",
    "frame_kid",
}


def normalise_answer(text: str) -> str:
    """Lower-case, drop punctuation and collapse whitespace (SQuAD-style answer normalisation)."""
    text = text.lower().translate(str.maketrans("", "", string.punctuation))
    return re.sub(r"\s+", " ", text).strip()


def exact_match(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Fraction of predictions equal to their reference after normalisation."""
    _check(predictions, references)
    hits = sum(
        normalise_answer(p) == normalise_answer(r) for p, r in zip(predictions, references, strict=True)
    )
    return hits / len(predictions)


def label_accuracy(predictions: Sequence[str], labels: Sequence[str]) -> float:
    """Fraction of predictions whose first word is the expected label (classification by generation)."""
    _check(predictions, labels)
    firsts = [(normalise_answer(p).split() or [""])[0] for p in predictions]
    hits = sum(f == normalise_answer(label) for f, label in zip(firsts, labels, strict=True))
    return hits / len(predictions)


def bleu(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (0-100) with sacrebleu's standard 13a tokenisation."""
    import sacrebleu

    _check(predictions, references)
    return float(sacrebleu.corpus_bleu(list(predictions), [list(references)]).score)


def chrf(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF (0-100), sacrebleu's character n-gram F-score."""
    import sacrebleu

    _check(predictions, references)
    return float(sacrebleu.corpus_chrf(list(predictions), [list(references)]).score)


def rouge(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F-measures (0-1)."""
    from rouge_score import rouge_scorer

    _check(predictions, references)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False)
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    for prediction, reference in zip(predictions, references, strict=True):
        for key, score in scorer.score(reference, prediction).items():
            totals[key] += score.fmeasure
    return {key: value / len(predictions) for key, value in totals.items()}


def reference_metrics(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Every reference-based metric at once."""
    return {
        "exact_match": exact_match(predictions, references),
        "bleu": bleu(predictions, references),
        "chrf": chrf(predictions, references),
        **rouge(predictions, references),
    }


def _check(predictions: Sequence[str], references: Sequence[str]) -> None:
    if len(predictions) != len(references) or not predictions:
        raise ValueError(
            f"need as many predictions as references (got {len(predictions)} and {len(references)})"
        )
