"""The explicit recipe registry: recipe key -> "module:attribute", imported only when used."""

from __future__ import annotations

import importlib

from omnitune.recipes.base import Recipe

# Keys are what plans name in `models[].recipe`; values are lazy import paths.
RECIPES: dict[str, str] = {
    "audio_classification": "omnitune.recipes.audio.classification:AudioClassificationRecipe",
    "clip_contrastive": "omnitune.recipes.multimodal.clip:ClipContrastiveRecipe",
    "image_classification": "omnitune.recipes.image.classification:ImageClassificationRecipe",
    "image_controlnet": "omnitune.recipes.image.controlnet:ImageControlNetRecipe",
    "image_dreambooth": "omnitune.recipes.image.dreambooth:ImageDreamBoothRecipe",
    "image_lora": "omnitune.recipes.image.lora:ImageLoraRecipe",
    "image_textual_inversion": "omnitune.recipes.image.textual_inversion:ImageTextualInversionRecipe",
    "llm_distill": "omnitune.recipes.llm.distill:DistillRecipe",
    "llm_merge": "omnitune.recipes.llm.merge:MergeRecipe",
    "llm_preference": "omnitune.recipes.llm.preference:PreferenceRecipe",
    "llm_reward": "omnitune.recipes.llm.reward:RewardModelRecipe",
    "llm_rl": "omnitune.recipes.llm.rl:RLRecipe",
    "llm_sft": "omnitune.recipes.llm.sft:SFTRecipe",
    "music_generation": "omnitune.recipes.audio.music:MusicGenerationRecipe",
    "speech_recognition": "omnitune.recipes.audio.asr:SpeechRecognitionRecipe",
    "speech_synthesis": "omnitune.recipes.audio.tts:SpeechSynthesisRecipe",
    "text_classification": "omnitune.recipes.text.classification:TextClassificationRecipe",
    "text_embeddings": "omnitune.recipes.text.embeddings:TextEmbeddingsRecipe",
    "video_classification": "omnitune.recipes.video.classification:VideoClassificationRecipe",
    "video_lora": "omnitune.recipes.video.lora:VideoLoraRecipe",
    "vlm_sft": "omnitune.recipes.multimodal.vlm:VlmSftRecipe",
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
