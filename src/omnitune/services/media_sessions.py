"""Media test sessions: a text-to-image, speech, music or video version and its base generate for the same
prompt and seed. Each output is a file (PNG, WAV or MP4) in the session's folder; a rating copies the two
files into the user's media preference set and appends a record (prompt, chosen and rejected file
paths, modality, the two models) to ``$OMNITUNE_HOME/preferences/<user>.media.jsonl``.

The fine-tuned side is loaded by the serving layer (``omnitune.serving.media``, ``serving.video``); the
base side is the pipeline or model the version was trained from (``media_bases.py``). ``generate`` runs
any named sides (a session's ``base``/``fine_tuned``, `models compare`'s ``a``/``b``) with one seed; an
image-to-video side starts from the request's first frame, else the first side's default frame.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from omnitune.runtime.events import now_iso
from omnitune.services.plans import PlanFieldError
from omnitune.services.users import UserRecord
from omnitune.serving.loading import MEDIA_RECIPES
from omnitune.settings import get_settings
from omnitune.store.records import ModelVersionRecord

SUFFIXES = {"image/png": "png", "audio/wav": "wav", "video/mp4": "mp4"}
KINDS = MEDIA_RECIPES | {"video_lora": "video"}  # what sessions serve; `models serve` has no video endpoint


@dataclass
class MediaOptions:
    """How to generate one output: the seed both sides share, and per-modality settings."""

    seed: int = 0
    steps: int | None = None  # image / video: denoising steps (default: the plan's)
    seconds: float = 2.0  # music: length
    voice: str | None = None  # speech: one of the version's saved voices
    image: Any = None  # image-to-video: the first frame (a PIL image); default: the version's own
    image_source: str = "uploaded"


@dataclass
class MediaOutput:
    """Both sides' files for one prompt and seed, with how long each side took."""

    id: str
    prompt: str
    seed: int
    files: dict[str, Path]
    latency_s: dict[str, float]
    media_type: str
    details: dict[str, dict[str, Any]]


def media_kind(version: ModelVersionRecord) -> str | None:
    """``image``, ``speech``, ``music`` or ``video`` for a media version's recipe, else None."""
    return KINDS.get(version.recipe)


def load_version(version: ModelVersionRecord) -> Any:
    """The fine-tuned serving model of a media version (its kind's ``kind`` attribute says which)."""
    from omnitune.evaluate.media import plan_hyperparameters, training_seed
    from omnitune.serving.media import ImageModel, MusicModel, SpeechModel
    from omnitune.serving.video import load_video_version

    kind, hp, path = media_kind(version), plan_hyperparameters(version), version.artefact_path
    if kind == "image":
        return ImageModel.load(version.ref, path, version.base_model, training_seed(version), hp)
    if kind == "speech":
        return SpeechModel.load(version.ref, path, hp)
    if kind == "music":
        return MusicModel.load(version.ref, path, hp)
    if kind == "video":
        return load_video_version(version)
    raise PlanFieldError("model_id", f"{version.ref} ({version.recipe}) is not a media version")


def load_pair(version: ModelVersionRecord) -> dict[str, Any]:
    """The base and fine-tuned serving models of a media version, keyed by side."""
    from omnitune.services.media_bases import load_base

    trained = load_version(version)
    return {"base": load_base(version, trained.kind, trained), "fine_tuned": trained}


def generate(models: dict[str, Any], folder: Path, prompt: str, options: MediaOptions) -> MediaOutput:
    """Run the prompt through every side of ``models`` (side name -> model) with the same seed (and the
    same first frame); save each output as ``<output_id>-<side>.<png|wav|mp4>`` in ``folder``."""
    output_id = uuid.uuid4().hex[:12]
    folder.mkdir(parents=True, exist_ok=True)
    options = _shared_first_frame(models, options)
    files, latency, details, media_type = {}, {}, {}, ""
    for side, model in models.items():
        started = time.perf_counter()
        rendered = _render(model, prompt, options)
        latency[side] = round(time.perf_counter() - started, 4)
        media_type = rendered.media_type
        files[side] = folder / f"{output_id}-{side}.{SUFFIXES[media_type]}"
        files[side].write_bytes(rendered.files[0])
        details[side] = dict(rendered.details)
    return MediaOutput(output_id, prompt, options.seed, files, latency, media_type, details)


def rate(user: UserRecord, version: ModelVersionRecord, output: MediaOutput, chosen: str) -> Path:
    """Copy the two files into the media preference set and append the pair; returns the JSONL file."""
    rejected = "base" if chosen == "fine_tuned" else "fine_tuned"
    kept = preference_file(user).parent / "media" / user.id
    kept.mkdir(parents=True, exist_ok=True)
    copies = {}
    for side in (chosen, rejected):
        copies[side] = kept / output.files[side].name
        shutil.copyfile(output.files[side], copies[side])
    models = {"base": version.base_model, "fine_tuned": version.ref}
    record = {"prompt": output.prompt, "chosen": str(copies[chosen]), "rejected": str(copies[rejected]),
              "modality": media_kind(version), "media_type": output.media_type, "seed": output.seed,
              "chosen_side": chosen, "chosen_model": models[chosen], "rejected_model": models[rejected],
              "model_version": version.ref, "model_version_id": version.id, "base_model": version.base_model,
              "ts": now_iso()}  # fmt: skip
    path = preference_file(user)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    return path


def preference_file(user: UserRecord) -> Path:
    """The user's media preference set (JSONL of file pairs; not a text DPO set)."""
    return get_settings().home / "preferences" / f"{user.id}.media.jsonl"


def session_folder(session_id: str) -> Path:
    """Where a session's generated files live until it closes."""
    return get_settings().home / "test_sessions" / session_id


def output_json(session_id: str, output: MediaOutput) -> dict[str, Any]:
    """What the API returns for one output: a URL, the media type and the latency per side."""
    sides = {
        side: {
            "url": f"/api/training/test/sessions/{session_id}/files/{output.files[side].name}",
            "media_type": output.media_type,
            "latency_s": output.latency_s[side],
            **output.details[side],
        }
        for side in output.files
    }
    return {"prompt": output.prompt, "seed": output.seed, "output_id": output.id, **sides}


def _render(model: Any, prompt: str, options: MediaOptions) -> Any:
    from omnitune.serving.media import MediaRequestError
    from omnitune.serving.schemas import ImageRequest, MusicRequest, SpeechRequest

    try:
        if model.kind == "image":
            return model.generate(ImageRequest(prompt=prompt, seed=options.seed, steps=options.steps))
        if model.kind == "speech":
            return model.speak(SpeechRequest(input=prompt, voice=options.voice, seed=options.seed))
        if model.kind == "video":
            return model.animate(prompt, options.seed, options.steps, options.image, options.image_source)
        return model.compose(MusicRequest(prompt=prompt, seconds=options.seconds, seed=options.seed))
    except MediaRequestError as exc:
        raise PlanFieldError(exc.field or "prompt", str(exc)) from None


def _shared_first_frame(models: dict[str, Any], options: MediaOptions) -> MediaOptions:
    """The request's first frame, else the first image-to-video side's default, for every side."""
    conditioned = [m for m in models.values() if getattr(m, "image_conditioned", False)]
    if options.image is not None and not conditioned:
        raise PlanFieldError(
            "image", "image (--image): only image-to-video versions start from a first frame; leave it out"
        )
    if options.image is not None or not conditioned:
        return options
    first = conditioned[0]
    if first.first_frame is None:
        raise PlanFieldError(
            "image",
            f"{first.name} is an image-to-video version without a default first frame "
            f"({first.first_frame_source}); send one as image (a base64 PNG or JPEG; in the CLI, "
            "--image FILE)",
        )
    return replace(options, image=first.first_frame, image_source=first.first_frame_source)
