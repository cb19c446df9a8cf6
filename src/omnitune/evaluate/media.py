"""`omnitune eval` for media versions: which evaluator a registered version gets, and what they share.

Dispatch is on the version's recipe (its lineage): text-to-image recipes generate images and score
them (``image_generation.py``), speech recognition transcribes held-out clips (``speech_recognition.py``),
speech synthesis speaks held-out texts (``speech_synthesis.py``), music generation plays held-out
descriptions (``music_generation.py``), video LoRAs sample clips (``video_generation.py``), ControlNets
follow held-out conditioning images (``controlnet.py``) and classifiers label held-out items
(``classification.py``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnitune.evaluate.frechet import ExtractorScores
from omnitune.evaluate.gates import check_gates
from omnitune.evaluate.report import EvalReport, Sample
from omnitune.registry.references import ResolvedModel, resolve_model
from omnitune.store.records import ModelVersionRecord

IMAGE_GENERATION = frozenset({"image_lora", "image_dreambooth", "image_textual_inversion"})
SPEECH_RECOGNITION = frozenset({"speech_recognition"})
CLASSIFIERS = frozenset({"image_classification", "audio_classification", "video_classification"})
# recipe -> "module:function" of its evaluator, imported only when used
EVALUATORS: dict[str, str] = {
    **{r: "omnitune.evaluate.image_generation:evaluate_image_generation" for r in IMAGE_GENERATION},
    **{r: "omnitune.evaluate.classification:evaluate_classifier" for r in CLASSIFIERS},
    "speech_recognition": "omnitune.evaluate.speech_recognition:evaluate_speech_recognition",
    "speech_synthesis": "omnitune.evaluate.speech_synthesis:evaluate_speech_synthesis",
    "music_generation": "omnitune.evaluate.music_generation:evaluate_music_generation",
    "video_lora": "omnitune.evaluate.video_generation:evaluate_video_generation",
    "image_controlnet": "omnitune.evaluate.controlnet:evaluate_controlnet",
}
DEFAULT_SEED = 42  # RecipeContext's default: a from-config base rebuilt with it matches the trained one


@dataclass
class MediaEvalOptions:
    """What a media evaluation needs besides the model: data, baseline, scorers, sample counts, gates."""

    data: Path
    samples_dir: Path
    against: str | None = None
    clip: str | None = None
    features: str | None = None
    num_images: int = 2  # images, clips or utterances generated per prompt
    steps: int | None = None
    limit: int | None = None
    max_new_tokens: int = 32
    gates: list[str] = field(default_factory=list)
    asr: str | None = None  # speech synthesis: a Whisper directory or version that transcribes the speech
    audio_encoder: str | None = None  # FAD (and speaker similarity's fallback): a transformers audio encoder
    clap: str | None = None  # music: a CLAP directory for the text-audio score
    speaker_encoder: str | None = None  # speech synthesis: an x-vector (or any audio encoder) directory


def is_media(target: ResolvedModel) -> bool:
    """True when the target is a registered version of a recipe evaluated here."""
    recipe = target.version.recipe if target.version else ""
    return recipe in EVALUATORS


def evaluate_media(target: ResolvedModel, options: MediaEvalOptions) -> EvalReport:
    """Evaluate a registered media version with its recipe's evaluator."""
    assert target.version is not None
    module_name, _, attr = EVALUATORS[target.version.recipe].partition(":")
    evaluator: Callable[[ResolvedModel, MediaEvalOptions], EvalReport] = getattr(
        importlib.import_module(module_name), attr
    )
    return evaluator(target, options)


def base_unavailable(version: ModelVersionRecord, exc: Exception) -> ValueError:
    """The error for ``--against base`` when the version's base can be neither rebuilt nor loaded."""
    return ValueError(
        f"--against base: {version.ref} was trained from {version.base_model!r}, which is not a saved base/ "
        f"in its artefact, a catalog entry with from_config, or a loadable model ({exc}); pass "
        "--against DIR or --against NAME:vN (a model directory or a registered version) instead"
    )


def load_or_explain(what: str, loader: Callable[[], Any]) -> Any:
    """``loader()``, turning a missing/unloadable model into an error that names ``what``."""
    try:
        return loader()
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{what}: could not load it ({exc}); give a local directory saved with save_pretrained"
        ) from None


def transformers_baseline(
    version: ModelVersionRecord,
    against: str,
    model_class: Any,
    build_tiny: Callable[[dict[str, Any]], Any],
    seed: int,
) -> tuple[str, Any]:
    """(label, model) of ``--against``: ``base`` is the saved ``base/``, the catalog config rebuilt with the
    training seed, or the base id; anything else is a registered version, a directory or a model id."""
    from omnitune.recipes.media_training import BASE_DIR, load_transformers_artefact

    if against != "base":
        other = resolve_model(against)
        path = Path(other.path)
        loader = (lambda: load_transformers_artefact(model_class, path)) if path.is_dir() else (
            lambda: model_class.from_pretrained(other.path))  # fmt: skip
        return other.label, load_or_explain(f"--against {against}", loader)
    saved = Path(version.artefact_path) / BASE_DIR
    if (saved / "config.json").is_file():  # a LoRA of a from-config base keeps that base beside it
        return f"{version.ref} base", model_class.from_pretrained(saved)
    tiny = tiny_config(version.base_model)
    if tiny is not None:  # the recipe seeds, then builds: this is the model it trained from
        return version.base_model, seeded(seed, lambda: build_tiny(tiny))
    try:
        return version.base_model, model_class.from_pretrained(version.base_model)
    except (OSError, ValueError) as exc:
        raise base_unavailable(version, exc) from None


def seeded(seed: int, build: Callable[[], Any]) -> Any:
    """``build()`` right after ``torch.manual_seed(seed)``, as the recipes build from-config models."""
    import torch

    torch.manual_seed(seed)
    return build()


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


def held_out_rows(
    options: MediaEvalOptions, seed: int, fields: tuple[str, ...], where: str
) -> list[dict[str, Any]]:
    """The held-out rows of ``options.data`` (validation split, else the recipes' seeded 25%), limited."""
    from omnitune.recipes.media_inputs import require, train_and_heldout

    _, held = train_and_heldout(options.data, seed)
    held = held[: options.limit] if options.limit else held
    require(held, fields, f"{options.data} ({where} eval)")
    return held


def all_rows(options: MediaEvalOptions, seed: int) -> list[dict[str, Any]]:
    """Train then held-out rows, in the order a recipe sees them (labels, vocabularies come from these)."""
    from omnitune.recipes.media_inputs import train_and_heldout

    train, held = train_and_heldout(options.data, seed)
    return train + held


def sample_name(path: Path, options: MediaEvalOptions) -> str:
    """A sample file's name relative to the report's directory."""
    return str(path.relative_to(options.samples_dir.parent))


def combined(measured: list[ExtractorScores]) -> tuple[dict[str, float], dict[str, str]]:
    """(metric -> value, metric -> the extractor it was measured with) over several scorers' results."""
    metrics = {k: v for m in measured for k, v in m.values.items()}
    return metrics, {k: m.extractor for m in measured for k in m.values}


MAX_SAMPLES = 20  # predictions kept in a report


def file_samples(
    prompts: Sequence[str],
    references: Sequence[str | None],
    own: Sequence[Path],
    base: Sequence[Path],
    options: MediaEvalOptions,
) -> list[Sample]:
    """One sample per generated file, linked beside the baseline's file at the same index (if any)."""
    return [
        Sample(prompt=prompt, reference=reference, prediction=sample_name(path, options),
               baseline_prediction=sample_name(base[i], options) if base else None)
        for i, (prompt, reference, path) in enumerate(zip(prompts, references, own, strict=True))
    ]  # fmt: skip


def finish_report(report: EvalReport, options: MediaEvalOptions, samples: list[Sample]) -> EvalReport:
    """Keep the first MAX_SAMPLES samples and check the gates (relative ones against --against)."""
    report.samples = samples[:MAX_SAMPLES]
    report.gates = check_gates(
        options.gates, report.metrics, report.baseline_metrics if options.against else None
    )
    return report
