"""Which model serves a reference: a language model, or a text-to-image / speech / music version.

The kind is read from the version's recipe (its lineage); a bare directory is recognised by its files.
Every kind names the endpoints it answers, so a request to another endpoint gets a clear 400.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from omnitune.registry.references import ResolvedModel

ENDPOINTS: dict[str, tuple[str, ...]] = {
    "language": ("POST /v1/chat/completions", "POST /v1/completions", "POST /v1/embeddings"),
    "image": ("POST /v1/images/generations",),
    "speech": ("POST /v1/audio/speech",),
    "music": ("POST /v1/audio/generations", "POST /v1/audio/speech"),
}
DESCRIPTIONS = {
    "language": "a language model",
    "image": "a text-to-image model",
    "speech": "a text-to-speech model",
    "music": "a music model",
}
IMAGE_RECIPES = frozenset({"image_lora", "image_dreambooth", "image_textual_inversion"})
MEDIA_RECIPES = {"speech_synthesis": "speech", "music_generation": "music"} | dict.fromkeys(
    IMAGE_RECIPES, "image"
)


def served_kind(resolved: ResolvedModel) -> str:
    """``language``, ``image``, ``speech`` or ``music`` for a resolved reference."""
    version = resolved.version
    if version is not None and version.recipe:
        if version.recipe in MEDIA_RECIPES:
            return MEDIA_RECIPES[version.recipe]
        if not version.recipe.startswith("llm_"):
            raise ValueError(
                f"{version.ref} was trained by the {version.recipe} recipe; `models serve` serves language "
                f"models and the {', '.join(sorted(MEDIA_RECIPES))} recipes' versions"
            )
        return "language"
    return _kind_of_directory(Path(resolved.path))


def _kind_of_directory(path: Path) -> str:
    from omnitune.recipes.audio.tts import SPEAKERS_FILE

    if (path / "model_index.json").is_file():
        return "image"
    if (path / SPEAKERS_FILE).is_file():
        return "speech"
    config = path / "config.json"
    if config.is_file() and json.loads(config.read_text(encoding="utf-8")).get("model_type") == "musicgen":
        return "music"
    return "language"


def load_served(resolved: ResolvedModel, engine: str = "auto") -> Any:
    """The loaded model for ``resolved``; language models go through ``engine`` (see engines.py)."""
    kind = served_kind(resolved)
    if kind == "language":
        from omnitune.serving.engines import load_language_model

        return load_language_model(resolved, engine)
    if engine not in ("auto", "transformers"):
        raise ValueError(
            f"--engine {engine}: {resolved.label} is {DESCRIPTIONS[kind]}; serve it with --engine auto"
        )
    return _load_media(resolved, kind)


def _load_media(resolved: ResolvedModel, kind: str) -> Any:
    from omnitune.serving.media import ImageModel, MusicModel, SpeechModel

    version, hp, seed = resolved.version, {}, 42
    if version is not None:
        from omnitune.evaluate.media import plan_hyperparameters, training_seed

        hp, seed = plan_hyperparameters(version), training_seed(version)
    if kind == "image":
        base = version.base_model if version is not None else ""
        return ImageModel.load(resolved.label, resolved.path, base, seed, hp)
    if kind == "speech":
        return SpeechModel.load(resolved.label, resolved.path, hp)
    return MusicModel.load(resolved.label, resolved.path, hp)
