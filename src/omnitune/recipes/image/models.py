"""Base models for the image recipes: tiny from-config pipelines (offline) or Hub/local checkpoints.

A ``from_config`` (``ctx.extra`` or the catalog entry) with ``pipeline: stable-diffusion`` builds a
random-weight Stable Diffusion pipeline (UNet + 2-layer CLIP text encoder + tiny VAE + DDPM
scheduler) with an in-memory byte-level tokenizer; ``pipeline: vit`` builds a tiny ViT classifier.
Anything else loads with ``from_pretrained`` (a Hub id, or a directory a pipeline was saved to).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from omnitune.recipes.base import RecipeContext
from omnitune.recipes.media_training import resolve_model

SD_DEFAULTS: dict[str, Any] = {
    "block_out_channels": [32, 64],
    "layers_per_block": 1,
    "cross_attention_dim": 32,
    "norm_num_groups": 8,
    "text_layers": 2,
    "text_heads": 4,
    "max_length": 16,
    "vae_channels": [8, 16],
    "sample_size": 16,
    "prediction_type": "epsilon",
}


def byte_level_tokenizer(max_length: int) -> Any:
    """A CLIP tokenizer whose vocabulary is the 256 byte symbols (with and without `</w>`), no merges."""
    from transformers import CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    symbols = list(bytes_to_unicode().values())
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for symbol in symbols + [s + "</w>" for s in symbols]:
        vocab.setdefault(symbol, len(vocab))
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[])
    tokenizer.model_max_length = max_length
    return tokenizer


def tiny_sd_component_configs(config: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Per-component configs: flat size keys (``SD_DEFAULTS``) expanded, then nested
    ``unet`` / ``text_encoder`` / ``vae`` / ``scheduler`` dicts (the catalog's shape) laid over them."""
    cfg = {**SD_DEFAULTS, **(config or {})}
    blocks, vae_blocks = list(cfg["block_out_channels"]), list(cfg["vae_channels"])
    components: dict[str, dict[str, Any]] = {
        "unet": {
            "sample_size": cfg["sample_size"],
            "block_out_channels": blocks,
            "layers_per_block": cfg["layers_per_block"],
            "down_block_types": ["DownBlock2D"] + ["CrossAttnDownBlock2D"] * (len(blocks) - 1),
            "up_block_types": ["CrossAttnUpBlock2D"] * (len(blocks) - 1) + ["UpBlock2D"],
            "cross_attention_dim": cfg["cross_attention_dim"],
            "norm_num_groups": cfg["norm_num_groups"],
            "attention_head_dim": max(1, cfg["cross_attention_dim"] // 8),
        },
        "vae": {
            "block_out_channels": vae_blocks,
            "down_block_types": ["DownEncoderBlock2D"] * len(vae_blocks),
            "up_block_types": ["UpDecoderBlock2D"] * len(vae_blocks),
            "latent_channels": 4,
            "norm_num_groups": min(cfg["norm_num_groups"], vae_blocks[0]),
            "sample_size": cfg["sample_size"] * 2 ** (len(vae_blocks) - 1),
        },
        "text_encoder": {
            "hidden_size": cfg["cross_attention_dim"],
            "intermediate_size": cfg["cross_attention_dim"] * 2,
            "num_hidden_layers": cfg["text_layers"],
            "num_attention_heads": cfg["text_heads"],
            "max_position_embeddings": cfg["max_length"],
        },
        "scheduler": {
            "num_train_timesteps": 1000,
            "beta_schedule": "scaled_linear",
            "prediction_type": cfg["prediction_type"],
        },
    }
    for name, values in components.items():
        values.update({k: v for k, v in dict(cfg.get(name) or {}).items() if k != "model_type"})
    return components


def build_tiny_sd_pipeline(config: dict[str, Any] | None = None, seed: int = 0) -> Any:
    """A random-weight StableDiffusionPipeline small enough to train on a CPU in seconds."""
    from diffusers import AutoencoderKL, DDPMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    parts = tiny_sd_component_configs(config)
    torch.manual_seed(seed)
    text = parts["text_encoder"]
    tokenizer = byte_level_tokenizer(int(text["max_position_embeddings"]))
    # The byte-level tokenizer fixes the vocabulary and the special ids CLIP pools at.
    text.update(
        vocab_size=max(int(text.get("vocab_size", 0)), len(tokenizer)),
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
    )
    return StableDiffusionPipeline(
        unet=UNet2DConditionModel(**parts["unet"]),
        vae=AutoencoderKL(**parts["vae"]),
        text_encoder=CLIPTextModel(CLIPTextConfig(**text)),
        tokenizer=tokenizer,
        scheduler=DDPMScheduler(**{"steps_offset": 1, "clip_sample": False, **parts["scheduler"]}),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def optional_components(ctx: RecipeContext) -> dict[str, None]:
    """``drop_text_encoder_3``: load SD3 without its T5 encoder (saves ~10 GB; captions use CLIP only)."""
    if ctx.hyperparameters.get("drop_text_encoder_3"):
        return {"text_encoder_3": None, "tokenizer_3": None}
    return {}


def load_diffusion_pipeline(ctx: RecipeContext, dtype: torch.dtype = torch.float32) -> Any:
    """The text-to-image pipeline a plan names: built from a tiny config or loaded pretrained."""
    from diffusers import DiffusionPipeline

    source = resolve_model(ctx)
    if source.tiny is not None:
        kind = source.tiny.get("pipeline", "stable-diffusion")
        if kind != "stable-diffusion":
            raise ValueError(
                f"model {ctx.model.base_model!r}: from_config.pipeline={kind!r} is not a text-to-image "
                "pipeline; expected 'stable-diffusion'"
            )
        return build_tiny_sd_pipeline(source.tiny, seed=ctx.seed)
    ref = str(source.ref)
    try:
        return DiffusionPipeline.from_pretrained(ref, dtype=dtype, **optional_components(ctx))
    except OSError as exc:
        hint = " (the directory holds no model_index.json)" if Path(ref).is_dir() else ""
        raise OSError(
            f"could not load diffusion pipeline {ref!r}{hint}: {exc}. Offline, use a catalog entry "
            "with from_config or a local directory saved with `pipeline.save_pretrained`."
        ) from exc


VIT_DEFAULTS: dict[str, Any] = {
    "image_size": 32,
    "patch_size": 8,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
}


def build_tiny_vit(config: dict[str, Any], labels: list[str]) -> tuple[Any, Any]:
    """A random-weight ViT classifier for ``labels`` and its image processor, built in memory."""
    from transformers import ViTConfig, ViTForImageClassification
    from transformers.models.vit.image_processing_pil_vit import ViTImageProcessorPil

    values = {**VIT_DEFAULTS, **{k: v for k, v in config.items() if k not in ("pipeline", "model_type")}}
    label_maps: dict[str, Any] = {
        "id2label": dict(enumerate(labels)),
        "label2id": {label: i for i, label in enumerate(labels)},
    }
    vit_config = ViTConfig(**values, **label_maps)
    size = int(values["image_size"])
    # The PIL processor: the default ViTImageProcessor needs torchvision, which this stack avoids.
    processor = ViTImageProcessorPil(size={"height": size, "width": size})
    return ViTForImageClassification(vit_config), processor
