"""Evaluate a text-to-image version: generate seeded images per prompt with the trained model (and the
baseline), then CLIP score, FID/KID against reference images and, for DreamBooth, subject similarity.

Prompts and references come from ``--data`` (a prepared image dataset: ``train.jsonl`` rows with
``file_name`` + ``text``), by default the data the version was trained on. Images are saved next to
the report and linked from it; a metric that cannot be measured is listed as skipped, with why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from omnitune.evaluate.clip_score import CLIP_HINT, ClipScorer
from omnitune.evaluate.frechet import ExtractorScores
from omnitune.evaluate.image_metrics import VisionFeatures, fid_kid, load_images, subject_similarity
from omnitune.evaluate.media import (
    MediaEvalOptions,
    combined,
    file_samples,
    finish_report,
    plan_hyperparameters,
    tiny_config,
    training_seed,
)
from omnitune.evaluate.report import EvalReport
from omnitune.registry.references import ResolvedModel, resolve_model
from omnitune.store.records import ModelVersionRecord

FEATURES_HINT = (
    "pass --features DIR (any transformers vision backbone saved locally: CLIP, DINOv2, ViT) or --clip DIR "
    "(its vision tower is used)"
)


@dataclass
class ImageTask:
    """What to generate and compare with: prompts, reference and instance images, size and steps."""

    prompts: list[str]
    references: list[Path]
    instances: list[Path] = field(default_factory=list)  # DreamBooth: the subject's own photos
    size: int = 512
    steps: int = 20
    guidance: dict[str, float] = field(default_factory=dict)


@dataclass
class Scorers:
    """The optional scorers: a CLIP model and an image feature extractor (either may be missing)."""

    clip: ClipScorer | None
    features: VisionFeatures | None


def evaluate_image_generation(target: ResolvedModel, options: MediaEvalOptions) -> EvalReport:
    """Generate with the trained model (and baseline), score both the same way, check the gates."""
    version = target.version
    assert version is not None
    torch.manual_seed(0)
    pipe = load_trained_pipeline(version.base_model, Path(version.artefact_path), training_seed(version))
    task = image_task(pipe, version, options)
    scorers = load_scorers(options)
    report = EvalReport(model=target.label, data=str(options.data), samples_dir=str(options.samples_dir))
    own = generate(pipe, task, options, "model")
    report.metrics, report.extractors, report.skipped = score(own, task, scorers)
    report.examples = len(own)
    base_files: list[Path] = []
    if options.against:
        report.against, base_pipe = load_baseline(target, options.against)
        base_files = generate(base_pipe, task, options, "baseline")
        report.baseline_metrics, _, _ = score(base_files, task, scorers)
    prompts = [task.prompts[i // options.num_images] for i in range(len(own))]
    samples = file_samples(prompts, [None] * len(own), own, base_files, options)
    return finish_report(report, options, samples)


def load_base_pipeline(base_model: str, seed: int) -> Any:
    """The base text-to-image pipeline: rebuilt from its catalog config (same seed) or loaded."""
    from diffusers import DiffusionPipeline

    from omnitune.recipes.image.models import build_tiny_sd_pipeline

    tiny = tiny_config(base_model)
    if tiny is not None:
        return build_tiny_sd_pipeline(tiny, seed=seed)
    try:
        return DiffusionPipeline.from_pretrained(base_model)
    except OSError as exc:
        raise ValueError(
            f"base model {base_model!r}: could not load the pipeline ({exc}); offline it must be a local "
            "directory saved with pipeline.save_pretrained, or a catalog entry with from_config"
        ) from None


def load_trained_pipeline(base_model: str, artefact: Path, seed: int) -> Any:
    """The base pipeline with the version's artefact applied (LoRA, LyCORIS, embedding or whole pipeline)."""
    from diffusers import DiffusionPipeline

    from omnitune.recipes.image.denoisers import denoiser_for
    from omnitune.recipes.image.export import LORA_FILE, load_peft_adapter

    if (artefact / "pipeline" / "model_index.json").is_file():
        pipe = DiffusionPipeline.from_pretrained(artefact / "pipeline")
    else:
        pipe = load_base_pipeline(base_model, seed)
        if (artefact / LORA_FILE).is_file():
            pipe.load_lora_weights(artefact)
        elif (artefact / "denoiser_adapter").is_dir():
            load_peft_adapter(denoiser_for(pipe).model, artefact / "denoiser_adapter")
        elif (artefact / "learned_embeds.safetensors").is_file():
            pipe.load_textual_inversion(str(artefact / "learned_embeds.safetensors"))
        else:
            raise ValueError(
                f"{artefact}: no image artefact (expected {LORA_FILE}, denoiser_adapter/, "
                "learned_embeds.safetensors or pipeline/); was it trained by an image recipe?"
            )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def load_baseline(target: ResolvedModel, against: str) -> tuple[str, Any]:
    """(label, pipeline) of ``--against``: ``base`` is the version's base model; else a version or a dir."""
    version = target.version
    assert version is not None
    if against == "base":
        torch.manual_seed(0)
        pipe = load_base_pipeline(version.base_model, training_seed(version))
        pipe.set_progress_bar_config(disable=True)
        return version.base_model, pipe
    other = resolve_model(against)
    if other.version is not None:
        seed = training_seed(other.version)
        return other.label, load_trained_pipeline(other.version.base_model, Path(other.path), seed)
    pipe = load_base_pipeline(other.path, 0)
    pipe.set_progress_bar_config(disable=True)
    return other.label, pipe


def image_task(pipe: Any, version: ModelVersionRecord, options: MediaEvalOptions) -> ImageTask:
    """Prompts, references and generation settings from the data, the artefact and the plan."""
    from omnitune.recipes.image.data import read_rows
    from omnitune.recipes.image.session import native_resolution

    rows = read_rows(options.data)
    own = [r for r in rows if not r.get("is_class_image")]
    references = [options.data / str(r["file_name"]) for r in own]
    captions = list(dict.fromkeys(str(r.get("text") or "") for r in own if r.get("text")))
    summary, recipe = _summary(Path(version.artefact_path)), version.recipe
    task = ImageTask(prompts=captions, references=references)
    if recipe == "image_dreambooth":
        task.prompts, task.instances = [str(summary.get("instance_prompt") or captions[0])], references
    elif recipe == "image_textual_inversion":
        token = str(summary.get("placeholder_token", ""))
        task.prompts = [c for c in captions if token in c] or [f"a photo of {token}"]
    if not task.prompts:
        raise ValueError(f"{options.data}/train.jsonl: no captions ('text') to use as prompts")
    task.prompts = task.prompts[: options.limit or 4]
    hp = plan_hyperparameters(version)
    task.size = int(hp.get("resolution") or native_resolution(pipe))
    task.steps = int(options.steps or hp.get("validation_steps_inference") or 20)
    if hp.get("validation_guidance_scale") is not None:
        task.guidance = {"guidance_scale": float(hp["validation_guidance_scale"])}
    return task


def load_scorers(options: MediaEvalOptions) -> Scorers:
    """CLIP when ``--clip``/OMNITUNE_CLIP_MODEL names one; features from ``--features``, else CLIP's tower."""
    clip = ClipScorer.from_pretrained(options.clip) if options.clip else None
    source = options.features or options.clip
    return Scorers(clip, VisionFeatures.from_pretrained(source) if source else None)


def generate(pipe: Any, task: ImageTask, options: MediaEvalOptions, tag: str) -> list[Path]:
    """``num_images`` seeded images per prompt, saved as ``<tag>-<prompt>-<k>.png``; returns the files."""
    options.samples_dir.mkdir(parents=True, exist_ok=True)
    files = []
    with torch.no_grad():
        for p, prompt in enumerate(task.prompts):
            for k in range(options.num_images):
                generator = torch.Generator(device="cpu").manual_seed(k)
                image = pipe(prompt, num_inference_steps=task.steps, height=task.size, width=task.size,
                             generator=generator, **task.guidance).images[0]  # fmt: skip
                path = options.samples_dir / f"{tag}-{p}-{k}.png"
                image.save(path)
                files.append(path)
    return files


def score(
    files: list[Path], task: ImageTask, scorers: Scorers
) -> tuple[dict[str, float], dict[str, str], dict[str, str]]:
    """(metrics, metric -> extractor, metric -> why skipped) of one model's generated images."""
    images = load_images(files, size=task.size)
    measured: list[ExtractorScores] = []
    skipped: dict[str, str] = {}
    if scorers.clip is not None:
        texts = [prompt for prompt in task.prompts for _ in range(len(files) // len(task.prompts))]
        measured.append(scorers.clip.score(images, texts))
    else:
        skipped["clip_score"] = CLIP_HINT
    if scorers.features is None:
        skipped["fid"] = skipped["kid"] = FEATURES_HINT
    elif min(len(files), len(task.references)) < 2:
        skipped["fid"] = skipped["kid"] = "needs at least 2 generated and 2 reference images"
    else:
        reference = load_images(task.references, size=task.size)
        measured.append(fid_kid(reference, images, scorers.features, kid_subset=50))
    if task.instances:
        if scorers.features is None:
            skipped["subject_similarity"] = FEATURES_HINT
        else:
            instances = load_images(task.instances, size=task.size)
            measured.append(subject_similarity(images, instances, scorers.features))
    return *combined(measured), skipped


def _summary(artefact: Path) -> dict[str, Any]:
    path = artefact / "training_summary.json"
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else {}
