"""Which methods each recipe key trains, and how a (model, method) pair resolves to a recipe."""

from __future__ import annotations

from omnitune.catalog.entries import CatalogModel
from omnitune.types import Method as M
from omnitune.types import Modality, RecipeKey

R = RecipeKey

# Mirrors the comments on RecipeKey in types.py; recipe engineers implement these methods.
RECIPE_METHODS: dict[RecipeKey, tuple[M, ...]] = {
    R.LLM_SFT: (M.SFT, M.FULL_FINETUNE, M.LORA, M.QLORA, M.CONTINUED_PRETRAINING, M.PRETRAINING),
    R.LLM_PREFERENCE: (M.DPO, M.IPO, M.ORPO, M.KTO, M.SIMPO),
    R.LLM_REWARD: (M.REWARD_MODELING,),
    R.LLM_RL: (M.PPO, M.GRPO),
    R.LLM_DISTILL: (M.DISTILLATION,),
    R.LLM_MERGE: (M.MERGING,),
    R.TEXT_CLASSIFICATION: (M.CLASSIFICATION,),
    R.TEXT_EMBEDDINGS: (M.CONTRASTIVE,),
    R.IMAGE_LORA: (M.LORA, M.LYCORIS, M.FULL_FINETUNE),
    R.IMAGE_DREAMBOOTH: (M.DREAMBOOTH,),
    R.IMAGE_TEXTUAL_INVERSION: (M.TEXTUAL_INVERSION,),
    R.IMAGE_CONTROLNET: (M.CONTROLNET,),
    R.IMAGE_CLASSIFICATION: (M.CLASSIFICATION, M.FULL_FINETUNE, M.LORA),
    R.VIDEO_LORA: (M.LORA,),
    R.VIDEO_CLASSIFICATION: (M.CLASSIFICATION,),
    R.MUSIC_GENERATION: (M.FULL_FINETUNE, M.LORA),
    R.SPEECH_RECOGNITION: (M.FULL_FINETUNE, M.LORA),
    R.SPEECH_SYNTHESIS: (M.FULL_FINETUNE,),
    R.AUDIO_CLASSIFICATION: (M.CLASSIFICATION,),
    R.VLM_SFT: (M.SFT, M.LORA),
    R.CLIP_CONTRASTIVE: (M.CONTRASTIVE,),
}

# Recipes a model of each modality may be routed to when its own recipe lacks the method.
RECIPES_BY_MODALITY: dict[Modality, tuple[RecipeKey, ...]] = {
    Modality.LLM: (
        R.LLM_SFT,
        R.LLM_PREFERENCE,
        R.LLM_REWARD,
        R.LLM_RL,
        R.LLM_DISTILL,
        R.LLM_MERGE,
        R.TEXT_CLASSIFICATION,
        R.TEXT_EMBEDDINGS,
    ),
    Modality.IMAGE: (
        R.IMAGE_LORA,
        R.IMAGE_DREAMBOOTH,
        R.IMAGE_TEXTUAL_INVERSION,
        R.IMAGE_CONTROLNET,
        R.IMAGE_CLASSIFICATION,
    ),
    Modality.VIDEO: (R.VIDEO_LORA, R.VIDEO_CLASSIFICATION),
    Modality.AUDIO: (R.MUSIC_GENERATION, R.SPEECH_RECOGNITION, R.SPEECH_SYNTHESIS, R.AUDIO_CLASSIFICATION),
    Modality.MULTIMODAL: (R.VLM_SFT, R.CLIP_CONTRASTIVE),
}


def recipe_for(model: CatalogModel, method: M) -> RecipeKey | None:
    """The recipe that trains ``model`` with ``method``: its own recipe first, else a sibling."""
    if method not in model.methods:
        return None
    if method in RECIPE_METHODS[model.recipe]:
        return model.recipe
    for key in RECIPES_BY_MODALITY[model.modality]:
        if method in RECIPE_METHODS[key]:
            return key
    return None
