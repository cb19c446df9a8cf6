"""Media test sessions: a text-to-image, speech or music version and its base generate for the same
prompt and seed. Each output is a file (PNG or WAV) in the session's folder; a rating copies the two
files into the user's media preference set and appends a record (prompt, chosen and rejected file
paths, modality, the two models) to ``$OMNITUNE_HOME/preferences/<user>.media.jsonl``.

The fine-tuned side is loaded by the serving layer (``omnitune.serving.media``); the base side is the
pipeline or model the version was trained from: rebuilt from its catalog config with the training seed
when it is a tiny from-config model, the saved ``base/`` of a from-config LoRA, else loaded by id.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnitune.runtime.events import now_iso
from omnitune.services.plans import PlanFieldError
from omnitune.services.users import UserRecord
from omnitune.serving.loading import MEDIA_RECIPES
from omnitune.settings import get_settings
from omnitune.store.records import ModelVersionRecord

SIDES = ("base", "fine_tuned")
SUFFIXES = {"image/png": "png", "audio/wav": "wav"}


@dataclass
class MediaOptions:
    """How to generate one output: the seed both sides share, and per-modality settings."""

    seed: int = 0
    steps: int | None = None  # image: denoising steps (default: the plan's validation steps)
    seconds: float = 2.0  # music: length
    voice: str | None = None  # speech: one of the version's saved voices


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
    """``image``, ``speech`` or ``music`` for a media version's recipe, else None."""
    return MEDIA_RECIPES.get(version.recipe)


def load_pair(version: ModelVersionRecord) -> dict[str, Any]:
    """The base and fine-tuned serving models of a media version, keyed by side."""
    from omnitune.evaluate.media import plan_hyperparameters, training_seed
    from omnitune.serving.media import ImageModel, MusicModel, SpeechModel

    kind, hp, seed = media_kind(version), plan_hyperparameters(version), training_seed(version)
    path = version.artefact_path
    if kind == "image":
        image = ImageModel.load(version.ref, path, version.base_model, seed, hp)
        return {"base": _image_base(version, image, seed), "fine_tuned": image}
    if kind == "speech":
        speech = SpeechModel.load(version.ref, path, hp)
        return {"base": _speech_base(version, speech, seed), "fine_tuned": speech}
    if kind == "music":
        music = MusicModel.load(version.ref, path, hp)
        return {"base": _music_base(version, music, seed), "fine_tuned": music}
    raise PlanFieldError("model_id", f"{version.ref} ({version.recipe}) is not a media version")


def generate(models: dict[str, Any], folder: Path, prompt: str, options: MediaOptions) -> MediaOutput:
    """Run the prompt through both sides with the same seed; save each output as a file in ``folder``."""
    output_id = uuid.uuid4().hex[:12]
    folder.mkdir(parents=True, exist_ok=True)
    files, latency, details, media_type = {}, {}, {}, ""
    for side in SIDES:
        started = time.perf_counter()
        rendered = _render(models[side], prompt, options)
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
        for side in SIDES
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
        return model.compose(MusicRequest(prompt=prompt, seconds=options.seconds, seed=options.seed))
    except MediaRequestError as exc:
        raise PlanFieldError("voice" if "voice" in str(exc) else "prompt", str(exc)) from None


def _image_base(version: ModelVersionRecord, trained: Any, seed: int) -> Any:
    import torch

    from omnitune.evaluate.image_generation import load_base_pipeline
    from omnitune.evaluate.language_model import inference_device
    from omnitune.serving.media import ImageModel

    torch.manual_seed(0)
    pipe = load_base_pipeline(version.base_model, seed)
    pipe.set_progress_bar_config(disable=True)
    return ImageModel(version.base_model, pipe.to(inference_device()), trained.steps, trained.guidance)


def _speech_base(version: ModelVersionRecord, trained: Any, seed: int) -> Any:
    """The untrained SpeechT5 with the version's tokenizer, vocoder and voices (the vocoder never trains)."""
    import torch
    from transformers import SpeechT5ForTextToSpeech

    from omnitune.evaluate.media import tiny_config
    from omnitune.recipes.audio.tiny_models import tiny_speecht5
    from omnitune.serving.media import SpeechModel

    tiny = tiny_config(version.base_model)
    if tiny is not None:
        torch.manual_seed(seed)  # as the recipe does right before it builds the tiny model
        with tempfile.TemporaryDirectory() as workdir:
            model, _, _ = tiny_speecht5(tiny, [], workdir)
        _same_vocabulary(version, model.config.vocab_size, trained.model.config.vocab_size)
    else:
        model = _pretrained(SpeechT5ForTextToSpeech, version.base_model)
    model = model.eval().to(trained.model.device)
    return SpeechModel(
        version.base_model, model, trained.processor, trained.vocoder, trained.voices, trained.hp
    )


def _music_base(version: ModelVersionRecord, trained: Any, seed: int) -> Any:
    import torch
    from transformers import MusicgenForConditionalGeneration

    from omnitune.evaluate.media import tiny_config
    from omnitune.recipes.audio.tiny_models import tiny_musicgen
    from omnitune.recipes.media_training import BASE_DIR
    from omnitune.serving.media import MusicModel

    saved, tiny = Path(version.artefact_path) / BASE_DIR, tiny_config(version.base_model)
    if (saved / "config.json").is_file():
        model = MusicgenForConditionalGeneration.from_pretrained(str(saved))
    elif tiny is not None:
        torch.manual_seed(seed)  # as the recipe does right before it builds the tiny model
        model, _ = tiny_musicgen(tiny)
    else:
        model = _pretrained(MusicgenForConditionalGeneration, version.base_model)
    model = model.eval().to(trained.model.device)
    return MusicModel(version.base_model, model, trained.processor, trained.guidance)


def _same_vocabulary(version: ModelVersionRecord, base: int, trained: int) -> None:
    if base != trained:
        raise PlanFieldError(
            "model_id",
            f"{version.ref}: its rebuilt base {version.base_model} has {base} tokens but the version has "
            f"{trained}; the tiny base cannot be rebuilt for this version (compare it by its metrics)",
        )


def _pretrained(model_cls: Any, base_model: str) -> Any:
    from omnitune.catalog.entries import get_model

    ref = base_model
    if not Path(base_model).expanduser().is_dir():
        try:
            entry = get_model(base_model)
            ref = entry.hub_id or entry.id
        except KeyError:
            pass
    try:
        return model_cls.from_pretrained(ref)
    except OSError as exc:
        raise PlanFieldError(
            "model_id",
            f"base model {base_model!r} could not be loaded ({exc}); offline it must be a local directory "
            "or a model already in the Hugging Face cache",
        ) from None
