"""Evaluate an image, audio or video classifier version: held-out accuracy and macro-F1, against its base.

Held-out items come from ``--data`` (a prepared dataset: rows with ``file_name``/``audio``/``video`` +
``label``; its validation split, else the recipes' seeded 25%), by default the data the version
trained on. ``--against base`` is the base model with a new head for the version's labels: that head
is untrained (the recipe's own starting point when the base was built from a config, else a random
head), so the base scores chance level by construction; the report says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from omnitune.evaluate.media import (
    MediaEvalOptions,
    all_rows,
    base_unavailable,
    finish_report,
    held_out_rows,
    load_or_explain,
    seeded,
    tiny_config,
    training_seed,
)
from omnitune.evaluate.report import EvalReport, Sample
from omnitune.registry.references import ResolvedModel, resolve_model

NEW_HEAD_NOTE = (
    "the base has a new classification head for these labels that was never trained, so its scores "
    "are chance level by construction; compare with --against a trained version or directory for a "
    "like-for-like baseline"
)


@dataclass
class ClassifierKind:
    """How one recipe's classifier loads, reads its items and is rebuilt from a config."""

    field: str  # the row field naming the item
    model_class: Callable[[], Any]
    processor_class: Callable[[], Any]
    build_tiny: Callable[[dict[str, Any], list[str]], tuple[Any, Any]]


def _image_kind() -> ClassifierKind:
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    from omnitune.recipes.image.models import build_tiny_vit

    return ClassifierKind("file_name", lambda: AutoModelForImageClassification, lambda: AutoImageProcessor,
                          build_tiny_vit)  # fmt: skip


def _audio_kind() -> ClassifierKind:
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    from omnitune.recipes.audio.tiny_models import tiny_audio_classifier

    return ClassifierKind("audio", lambda: AutoModelForAudioClassification, lambda: AutoFeatureExtractor,
                          tiny_audio_classifier)  # fmt: skip


def _video_kind() -> ClassifierKind:
    from transformers import AutoImageProcessor, VideoMAEForVideoClassification

    from omnitune.recipes.video.tiny_models import tiny_videomae

    return ClassifierKind("video", lambda: VideoMAEForVideoClassification, lambda: AutoImageProcessor,
                          tiny_videomae)  # fmt: skip


KINDS: dict[str, Callable[[], ClassifierKind]] = {
    "image_classification": _image_kind,
    "audio_classification": _audio_kind,
    "video_classification": _video_kind,
}


def evaluate_classifier(target: ResolvedModel, options: MediaEvalOptions) -> EvalReport:
    """Accuracy and macro-F1 of the trained classifier (and the baseline) on the held-out items."""
    version = target.version
    assert version is not None
    kind = KINDS[version.recipe]()
    seed = training_seed(version)
    held = held_out_rows(options, seed, (kind.field, "label"), version.recipe)
    model, processor = load_trained(kind, Path(version.artefact_path))
    labels = model_labels(model)
    references = [str(row["label"]) for row in held]
    _check_labels(references, labels, options.data)
    inputs = ItemInputs(kind, processor, options.data)
    own = predict(model, inputs, held)
    report = EvalReport(model=target.label, data=str(options.data), examples=len(held))
    report.metrics = classification_scores(own, references)
    base: list[str] = []
    if options.against:
        report.against, base_model, fresh_head = load_baseline(target, kind, options, labels, seed)
        base = predict(base_model, inputs, held)
        report.baseline_metrics = classification_scores(base, references)
        report.notes += [NEW_HEAD_NOTE] if fresh_head else []
    samples = [
        Sample(prompt=str(row[kind.field]), reference=ref, prediction=pred,
               baseline_prediction=base[i] if base else None)
        for i, (row, ref, pred) in enumerate(zip(held, references, own, strict=True))
    ]  # fmt: skip
    return finish_report(report, options, samples)


def classification_scores(predictions: list[str], references: list[str]) -> dict[str, float]:
    """Accuracy and macro-F1 (the unweighted mean of per-label F1 over labels seen in either list)."""
    if len(predictions) != len(references) or not references:
        raise ValueError(f"need one prediction per reference (got {len(predictions)} and {len(references)})")
    f1s = []
    for label in sorted(set(references) | set(predictions)):
        hits = sum(p == r == label for p, r in zip(predictions, references, strict=True))
        predicted, actual = predictions.count(label), references.count(label)
        f1s.append(2 * hits / (predicted + actual) if predicted + actual else 0.0)
    correct = sum(p == r for p, r in zip(predictions, references, strict=True))
    return {"accuracy": correct / len(references), "macro_f1": sum(f1s) / len(f1s)}


def model_labels(model: Any) -> list[str]:
    """The classifier's labels in head order."""
    id2label = model.config.id2label
    return [str(id2label[i]) for i in range(len(id2label))]


def load_trained(kind: ClassifierKind, artefact: Path) -> tuple[Any, Any]:
    """The saved classifier (full weights, or base + adapter) and its processor."""
    from omnitune.recipes.media_training import load_transformers_artefact

    processor = load_or_explain(f"{artefact} (the version's processor)",
                                lambda: kind.processor_class().from_pretrained(artefact))  # fmt: skip
    return load_transformers_artefact(kind.model_class(), artefact), processor


def load_baseline(
    target: ResolvedModel, kind: ClassifierKind, options: MediaEvalOptions, labels: list[str], seed: int
) -> tuple[str, Any, bool]:
    """(label, model, has an untrained head) of ``--against``; ``base`` gets a new head for ``labels``."""
    from omnitune.recipes.media_training import BASE_DIR, load_transformers_artefact, with_new_head

    version = target.version
    assert version is not None and options.against is not None
    if options.against != "base":
        other = resolve_model(options.against)
        loader = (lambda: load_transformers_artefact(kind.model_class(), Path(other.path))) if Path(
            other.path
        ).is_dir() else (lambda: kind.model_class().from_pretrained(other.path))  # fmt: skip
        return other.label, load_or_explain(f"--against {options.against}", loader), False
    saved = Path(version.artefact_path) / BASE_DIR
    if (saved / "config.json").is_file():  # a LoRA's from-config base, head included, before training
        return f"{version.ref} base", kind.model_class().from_pretrained(saved), True
    tiny = tiny_config(version.base_model)
    if tiny is not None:
        # The recipe seeds, then builds the classifier for the sorted labels of train + held-out rows.
        rows = all_rows(options, seed)
        data_labels = sorted({str(r["label"]) for r in rows})
        return version.base_model, seeded(seed, lambda: kind.build_tiny(tiny, data_labels)[0]), True
    try:
        return version.base_model, with_new_head(kind.model_class(), version.base_model, labels), True
    except (OSError, ValueError) as exc:
        raise base_unavailable(version, exc) from None


class ItemInputs:
    """Turns held-out rows into model inputs the way the recipe did (image, clip or frames)."""

    def __init__(self, kind: ClassifierKind, processor: Any, data_dir: Path) -> None:
        self.kind, self.processor, self.data_dir = kind, processor, data_dir

    def batch(self, model: Any, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """Model inputs for ``rows``."""
        from omnitune.recipes.media_inputs import load_frames, load_rgb, load_waveform

        if self.kind.field == "file_name":
            images = [load_rgb(self.data_dir, str(r["file_name"])) for r in rows]
            return {"pixel_values": self.processor(images=images, return_tensors="pt")["pixel_values"]}
        if self.kind.field == "audio":
            rate = int(self.processor.sampling_rate)
            waves = [load_waveform(self.data_dir, str(r["audio"]), rate) for r in rows]
            return dict(self.processor(waves, sampling_rate=rate, padding=True, return_tensors="pt"))
        size, frames = int(model.config.image_size), int(model.config.num_frames)
        clips = [self.processor(list(load_frames(self.data_dir, str(r["video"]), frames, size, size)),
                                return_tensors="pt").pixel_values[0] for r in rows]  # fmt: skip
        return {"pixel_values": torch.stack(clips)}


@torch.no_grad()
def predict(model: Any, inputs: ItemInputs, rows: list[dict[str, Any]]) -> list[str]:
    """The predicted label (the model's own ``id2label``) of every row, in batches of 8."""
    labels = model_labels(model)
    model.eval()
    out: list[str] = []
    for start in range(0, len(rows), 8):
        batch = inputs.batch(model, rows[start : start + 8])
        logits = model(**{k: v.to(model.device) for k, v in batch.items()}).logits
        out += [labels[i] for i in logits.argmax(-1).tolist()]
    return out


def _check_labels(references: list[str], labels: list[str], data: Path) -> None:
    unknown = sorted(set(references) - set(labels))
    if unknown:
        raise ValueError(
            f"{data}: labels {unknown} are not among the model's labels {labels}; evaluate on data with "
            "the labels it was trained on"
        )
