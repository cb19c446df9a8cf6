"""The explicit recipe registry: recipe key -> "module:attribute", imported only when used."""

from __future__ import annotations

import importlib

from omnitune.recipes.base import Recipe

# Keys are what plans name in `models[].recipe`; values are lazy import paths.
RECIPES: dict[str, str] = {
    "llm_merge": "omnitune.recipes.llm.merge:MergeRecipe",
    "llm_distill": "omnitune.recipes.llm.distill:DistillRecipe",
    "vlm_sft": "omnitune.recipes.multimodal.vlm:VlmSftRecipe",
    "llm_rl": "omnitune.recipes.llm.rl:RLRecipe",
    "video_classification": "omnitune.recipes.video.classification:VideoClassificationRecipe",
    "llm_reward": "omnitune.recipes.llm.reward:RewardModelRecipe",
    "speech_synthesis": "omnitune.recipes.audio.tts:SpeechSynthesisRecipe",
    "llm_preference": "omnitune.recipes.llm.preference:PreferenceRecipe",
    "video_lora": "omnitune.recipes.video.lora:VideoLoraRecipe",
    "clip_contrastive": "omnitune.recipes.multimodal.clip:ClipContrastiveRecipe",
    "audio_classification": "omnitune.recipes.audio.classification:AudioClassificationRecipe",
    "speech_recognition": "omnitune.recipes.audio.asr:SpeechRecognitionRecipe",
    "music_generation": "omnitune.recipes.audio.music:MusicGenerationRecipe",
    "image_lora": "omnitune.recipes.image.lora:ImageLoraRecipe",
    "image_dreambooth": "omnitune.recipes.image.dreambooth:ImageDreamBoothRecipe",
    "image_textual_inversion": "omnitune.recipes.image.textual_inversion:ImageTextualInversionRecipe",
    "image_controlnet": "omnitune.recipes.image.controlnet:ImageControlNetRecipe",
    "image_classification": "omnitune.recipes.image.classification:ImageClassificationRecipe",
    "llm_sft": "omnitune.recipes.llm.sft:SFTRecipe",
    "text_classification": "omnitune.recipes.text.classification:TextClassificationRecipe",
    "text_embeddings": "omnitune.recipes.text.embeddings:TextEmbeddingsRecipe",
}


def get_recipe(key: str) -> Recipe:
    """Import and instantiate the recipe registered under ``key``."""
    try:
        target = RECIPES[key]
    except KeyError:
        known = ", ".join(sorted(RECIPES)) or "none"
        raise KeyError(f"unknown recipe {key!r}; known recipes: {known}") from None
    module_name, _, attr = target.partition(":")
    recipe_cls = getattr(importlib.import_module(module_name), attr)
    recipe: Recipe = recipe_cls()
    return recipe
