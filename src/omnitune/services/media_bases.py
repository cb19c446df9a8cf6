"""The base side of a media version, as side-by-side sessions and `models compare ... base` load it: the
pipeline or model the version was trained from, rebuilt from its catalog config with the training seed
when it is a tiny from-config model, the saved ``base/`` of a from-config LoRA, else loaded by id.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from omnitune.services.plans import PlanFieldError
from omnitune.store.records import ModelVersionRecord


def load_base(version: ModelVersionRecord, kind: str, trained: Any) -> Any:
    """The base model of a media version of ``kind`` beside its loaded fine-tuned model ``trained``."""
    from omnitune.evaluate.media import training_seed
    from omnitune.serving.video import load_video_version

    seed = training_seed(version)
    if kind == "image":
        return _image_base(version, trained, seed)
    if kind == "speech":
        return _speech_base(version, trained, seed)
    if kind == "music":
        return _music_base(version, trained, seed)
    return load_video_version(version, with_lora=False)


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
