"""Use cases `omnitune models compare` and `models rate`: side by side, then ratings to preferences."""

from __future__ import annotations

import json
from pathlib import Path

from omnitune.data.manifest import DatasetManifest
from omnitune.evaluate.compare import Comparison
from omnitune.services.media_comparison import MediaComparison
from omnitune.services.media_sessions import MediaOptions


def compare(
    model_a: str,
    model_b: str,
    prompts: Path,
    *,
    judge: str | None = None,
    max_new_tokens: int = 64,
    out: Path | None = None,
    media: MediaOptions | None = None,
) -> Comparison | MediaComparison:
    """Compare two models on the prompts file: two language models (B may be ``base``), or a media version
    against ``base`` or another version of its kind (files saved under the directory ``out``)."""
    from omnitune.evaluate.compare import compare_models
    from omnitune.evaluate.examples import load_examples
    from omnitune.evaluate.judge import judge_from_spec
    from omnitune.evaluate.language_model import LanguageModel
    from omnitune.evaluate.llm import EvalOptions
    from omnitune.registry.references import resolve_baseline, resolve_model
    from omnitune.services.media_comparison import compare_media, described, model_kind

    examples = load_examples(prompts)
    a = resolve_model(model_a)
    kind = model_kind(a)
    if kind != "language":
        if judge is not None:
            raise ValueError("--judge rates language replies; rate media side by side in the studio instead")
        texts = [e.messages[-1]["content"] if e.messages else e.text or "" for e in examples]
        return compare_media(a, model_b, [str(t) for t in texts], out, media or MediaOptions())
    b = resolve_baseline(model_b, a)  # `base`: A's saved base/ (an adapter's), else its base model id
    if (other := model_kind(b)) != "language":
        raise ValueError(
            f"A ({a.label}) is a language model but B ({b.label}) is {described(other)}; compare two "
            "language models, or a media version with `base` or another version of its kind"
        )
    loaded = [LanguageModel.load(m.label, m.path) for m in (a, b)]
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

    if "media_type" in json.loads(Path(comparison_file).read_text(encoding="utf-8")):
        raise ValueError(
            f"{comparison_file} compares media files; `models rate` turns language comparisons into "
            "preference data (rate media side by side in the studio's compare page)"
        )
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
