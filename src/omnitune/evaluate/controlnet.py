"""Evaluate a ControlNet version: generate from the held-out conditioning images (and captions) with the
base pipeline steered by the trained ControlNet, and with the baseline, then measure how well each
output follows its condition.

Rows come from ``--data`` (a prepared image dataset: ``file_name`` + ``conditioning_file_name`` +
optional ``text``; held-out = its validation split, else the recipes' seeded 25%). The condition's kind
(edges, depth, pose …) is not recorded in the data, so fidelity is measured the one way that holds for
all of them offline: ``edge_f1``, the agreement of the output's Sobel edges with the conditioning
image's (``image_metrics.edge_f1``). ``--against base`` is the base pipeline without a ControlNet
(what a fresh, zero-initialised ControlNet also produces). ``clip_score`` needs ``--clip``. Images are
saved as PNGs beside the report, each sample linking its conditioning image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from omnitune.evaluate.clip_score import CLIP_HINT, ClipScorer
from omnitune.evaluate.frechet import ExtractorScores
from omnitune.evaluate.image_generation import load_base_pipeline
from omnitune.evaluate.image_metrics import edge_f1, load_images
from omnitune.evaluate.media import (
    MediaEvalOptions,
    combined,
    file_samples,
    finish_report,
    held_out_rows,
    load_or_explain,
    plan_hyperparameters,
    training_seed,
)
from omnitune.evaluate.report import EvalReport
from omnitune.registry.references import ResolvedModel, resolve_model
from omnitune.store.records import ModelVersionRecord

CONDITION = "conditioning_file_name"


def evaluate_controlnet(target: ResolvedModel, options: MediaEvalOptions) -> EvalReport:
    """Generate from held-out conditions with the ControlNet (and the baseline); edge F1, CLIP; gates."""
    from omnitune.recipes.image.session import native_resolution

    version = target.version
    assert version is not None
    seed, hp = training_seed(version), plan_hyperparameters(version)
    held = held_out_rows(options, seed, ("file_name", CONDITION), version.recipe)
    pipe = load_controlled(version, Path(version.artefact_path) / "controlnet", seed)
    size = int(hp.get("resolution") or native_resolution(pipe))
    steps = int(options.steps or hp.get("validation_steps_inference") or 20)
    conditions = [options.data / str(row[CONDITION]) for row in held]
    clip = ClipScorer.from_pretrained(options.clip) if options.clip else None
    report = EvalReport(model=target.label, data=str(options.data), samples_dir=str(options.samples_dir))
    own = generate(pipe, held, conditions, (size, steps), options, "model")
    report.metrics, report.extractors, report.skipped = score(own, held, conditions, size, clip, options)
    report.examples = len(held)
    base: list[Path] = []
    if options.against:
        report.against, base_pipe = load_baseline(target, options.against, seed)
        base = generate(base_pipe, held, conditions, (size, steps), options, "baseline")
        report.baseline_metrics, _, _ = score(base, held, conditions, size, clip, options)
    rows = [held[i // options.num_images] for i in range(len(own))]
    prompts, references = [str(r.get("text") or "") for r in rows], [str(r[CONDITION]) for r in rows]
    return finish_report(report, options, file_samples(prompts, references, own, base, options))


def load_controlled(version: ModelVersionRecord, controlnet_dir: Path, seed: int) -> Any:
    """The version's base pipeline steered by the ControlNet saved in ``controlnet_dir``."""
    from diffusers import ControlNetModel, StableDiffusionControlNetPipeline

    controlnet = load_or_explain(
        f"{controlnet_dir} (a ControlNet saved by image_controlnet)",
        lambda: ControlNetModel.from_pretrained(controlnet_dir),
    )
    torch.manual_seed(0)
    base = load_base_pipeline(version.base_model, seed)
    pipe: Any = StableDiffusionControlNetPipeline(**base.components, controlnet=controlnet)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def load_baseline(target: ResolvedModel, against: str, seed: int) -> tuple[str, Any]:
    """(label, pipeline) of ``--against``: ``base`` is the base without a ControlNet; a ControlNet version
    or directory steers the version's base instead; a pipeline directory is used as it is."""
    from omnitune.evaluate.image_generation import load_baseline as load_image_baseline

    version = target.version
    assert version is not None
    if against != "base":
        other = resolve_model(against)
        path = Path(other.path)
        if other.version is not None:
            return other.label, load_controlled(
                other.version, path / "controlnet", training_seed(other.version)
            )
        if (path / "config.json").is_file() and not (path / "model_index.json").is_file():
            return other.label, load_controlled(version, path, seed)
    return load_image_baseline(target, against)


def generate(
    pipe: Any,
    rows: list[dict[str, Any]],
    conditions: list[Path],
    settings: tuple[int, int],
    options: MediaEvalOptions,
    tag: str,
) -> list[Path]:
    """``num_images`` seeded images per row (size, steps = ``settings``), saved as ``<tag>-<row>-<k>.png``."""
    from omnitune.data.image import load_image_rgb

    size, steps = settings
    controlled = "controlnet" in pipe.components
    options.samples_dir.mkdir(parents=True, exist_ok=True)
    files = []
    with torch.no_grad():
        for i, (row, condition) in enumerate(zip(rows, conditions, strict=True)):
            extra = {"image": load_image_rgb(condition, (size, size))} if controlled else {}
            for k in range(options.num_images):
                generator = torch.Generator(device="cpu").manual_seed(k)
                image = pipe(str(row.get("text") or ""), height=size, width=size, num_inference_steps=steps,
                             generator=generator, **extra).images[0]  # fmt: skip
                path = options.samples_dir / f"{tag}-{i}-{k}.png"
                image.save(path)
                files.append(path)
    return files


def score(
    files: list[Path],
    rows: list[dict[str, Any]],
    conditions: list[Path],
    size: int,
    clip: ClipScorer | None,
    options: MediaEvalOptions,
) -> tuple[dict[str, float], dict[str, str], dict[str, str]]:
    """(metrics, metric -> extractor, metric -> why skipped) of one model's images."""
    images = load_images(files, size=size)
    paired = load_images([c for c in conditions for _ in range(options.num_images)], size=size)
    measured: list[ExtractorScores] = [edge_f1(paired, images)]
    skipped: dict[str, str] = {}
    texts = [str(row.get("text") or "") for row in rows for _ in range(options.num_images)]
    if clip is None:
        skipped["clip_score"] = CLIP_HINT
    elif not all(texts):
        skipped["clip_score"] = (
            f"{options.data}: some held-out rows have no caption ('text') to score against"
        )
    else:
        measured.append(clip.score(images, texts))
    return *combined(measured), skipped
