"""What `data prepare --plan` takes from a TrainingPlan: modality, family, context length, media options."""

from __future__ import annotations

import re
from typing import Any

from omnitune.data.families import family_for_method
from omnitune.plan.schema import TrainingPlan

_LENGTH_KEYS = ("max_len", "seq_len", "max_seq_length", "max_length", "context_length")


def _resolution(text: str | None) -> int | None:
    """'1024x768' or '512' -> the larger side in pixels (None for words like '4K')."""
    numbers = [int(n) for n in re.findall(r"\d{2,5}", text or "")]
    return max(numbers) if numbers else None


def options_from_plan(plan: TrainingPlan) -> dict[str, Any]:
    """Keyword options for `omnitune.data.prepare` that the plan determines."""
    modality = plan.capabilities.modality
    options: dict[str, Any] = {"modality": modality}
    if plan.models:
        options["family"] = family_for_method(plan.models[0].method, modality)
    hyper = plan.training.hyperparameters
    max_len = plan.capabilities.quality.context_length or next(
        (int(hyper[k]) for k in _LENGTH_KEYS if isinstance(hyper.get(k), int | float)), None
    )
    if max_len:
        options["max_len"] = max_len
    quality = plan.capabilities.quality
    media = {
        "resolution": hyper.get("resolution") or _resolution(quality.resolution),
        "sample_rate": quality.sample_rate,
        "fps": quality.fps,
        "duration_s": quality.duration_s,
    }
    options.update({k: v for k, v in media.items() if v})
    return options
