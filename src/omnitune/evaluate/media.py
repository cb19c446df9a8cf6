"""`omnitune eval` for media versions: which evaluator a registered version gets, and what they share.

Dispatch is on the version's recipe (its lineage): text-to-image recipes generate images and score
them (``image_generation.py``), speech recognition transcribes held-out clips (``speech_recognition.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnitune.evaluate.report import EvalReport
from omnitune.registry.references import ResolvedModel
from omnitune.store.records import ModelVersionRecord

IMAGE_GENERATION = frozenset({"image_lora", "image_dreambooth", "image_textual_inversion"})
SPEECH_RECOGNITION = frozenset({"speech_recognition"})
DEFAULT_SEED = 42  # RecipeContext's default: a from-config base rebuilt with it matches the trained one


@dataclass
class MediaEvalOptions:
    """What a media evaluation needs besides the model: data, baseline, scorers, sample counts, gates."""

    data: Path
    samples_dir: Path
    against: str | None = None
    clip: str | None = None
    features: str | None = None
    num_images: int = 2
    steps: int | None = None
    limit: int | None = None
    max_new_tokens: int = 32
    gates: list[str] = field(default_factory=list)


def is_media(target: ResolvedModel) -> bool:
    """True when the target is a registered version of a recipe evaluated here."""
    recipe = target.version.recipe if target.version else ""
    return recipe in IMAGE_GENERATION | SPEECH_RECOGNITION


def evaluate_media(target: ResolvedModel, options: MediaEvalOptions) -> EvalReport:
    """Evaluate a registered image-generation or speech-recognition version."""
    assert target.version is not None
    if target.version.recipe in IMAGE_GENERATION:
        from omnitune.evaluate.image_generation import evaluate_image_generation

        return evaluate_image_generation(target, options)
    from omnitune.evaluate.speech_recognition import evaluate_speech_recognition

    return evaluate_speech_recognition(target, options)


def training_seed(version: ModelVersionRecord) -> int:
    """The seed the version's job trained with (a from-config base is rebuilt from it)."""
    if not version.job_id:
        return DEFAULT_SEED
    from omnitune.runtime.jobdir import JobDir
    from omnitune.store import jobs

    try:
        return int(JobDir(Path(jobs.get_job(version.job_id).job_dir)).read_spec().seed)
    except (KeyError, FileNotFoundError):
        return DEFAULT_SEED


def plan_hyperparameters(version: ModelVersionRecord) -> dict[str, Any]:
    """The hyperparameters of the plan the version was trained from (empty when it has none)."""
    from omnitune.store import plans

    if not version.plan_id:
        return {}
    try:
        return dict(plans.get_plan(version.plan_id).training.hyperparameters)
    except KeyError:
        return {}


def tiny_config(base_model: str) -> dict[str, Any] | None:
    """A catalog entry's ``from_config`` (the base is built, not downloaded), else None."""
    from omnitune.catalog.entries import get_model

    if Path(base_model).expanduser().is_dir():
        return None
    try:
        entry = get_model(base_model)
    except KeyError:
        return None
    return dict(entry.from_config) if entry.from_config is not None else None
