"""Use cases `omnitune models compare` and `models rate`: side by side, then ratings to preferences."""

from __future__ import annotations

from pathlib import Path

from omnitune.data.manifest import DatasetManifest
from omnitune.evaluate.compare import Comparison


def compare(
    model_a: str, model_b: str, prompts: Path, *, judge: str | None = None, max_new_tokens: int = 64
) -> Comparison:
    """Load both models (version refs, directories or ids) and compare them on the prompts file."""
    from omnitune.evaluate.compare import compare_models
    from omnitune.evaluate.examples import load_examples
    from omnitune.evaluate.judge import judge_from_spec
    from omnitune.evaluate.language_model import LanguageModel
    from omnitune.evaluate.llm import EvalOptions
    from omnitune.registry.references import resolve_model

    examples = load_examples(prompts)
    loaded = []
    for ref in (model_a, model_b):
        resolved = resolve_model(ref)
        loaded.append(LanguageModel.load(resolved.label, resolved.path))
    options = EvalOptions(max_new_tokens=max_new_tokens, judge=judge_from_spec(judge) if judge else None)
    return compare_models(loaded[0], loaded[1], examples, options)


def rate(
    comparison_file: Path, out: Path, *, ratings: Path | None = None, judge: str | None = None
) -> tuple[DatasetManifest, int]:
    """Apply ratings (a file, or a judge) to a saved comparison and write the preference dataset."""
    from omnitune.evaluate.feedback import (
        apply_ratings,
        preference_records,
        rate_with_judge,
        write_preference_dataset,
    )
    from omnitune.evaluate.judge import judge_from_spec

    comparison = Comparison.read(comparison_file)
    if ratings is not None:
        comparison = apply_ratings(comparison, ratings)
    elif judge is not None:
        comparison = rate_with_judge(comparison, judge_from_spec(judge))
    else:
        raise ValueError("give --ratings FILE (JSONL of {row, preferred}) or --judge SPEC")
    comparison.write(comparison_file)  # keep the ratings with the comparison
    records = preference_records(comparison)
    return write_preference_dataset(records, out, source=str(comparison_file)), len(records)
