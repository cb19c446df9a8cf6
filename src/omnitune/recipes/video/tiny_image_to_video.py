"""Tiny from-config image-to-video pipelines: the tiny text-to-video parts, rewired as each family's
image-to-video pipeline (a wider transformer input where the family concatenates the image latent)."""

from __future__ import annotations

from typing import Any

from omnitune.recipes.media_training import config_values


def tiny_image_to_video_pipeline(family: str, text_to_video: Any, overrides: dict[str, Any]) -> Any:
    """The image-to-video pipeline of ``family`` built from its tiny text-to-video pipeline."""
    builders = {"cogvideox": _cogvideox, "ltx": _ltx, "wan": _wan}
    if family not in builders:
        raise ValueError(
            f"from_config.image_to_video: family {family!r} has no image-to-video pipeline here; "
            f"use one of {sorted(builders)}"
        )
    return builders[family](text_to_video, overrides)


def _ltx(pipe: Any, overrides: dict[str, Any]) -> Any:
    from diffusers import LTXImageToVideoPipeline

    return LTXImageToVideoPipeline(**pipe.components)  # the same transformer; the first frame stays clean


def _cogvideox(pipe: Any, overrides: dict[str, Any]) -> Any:
    from diffusers import CogVideoXImageToVideoPipeline, CogVideoXTransformer3DModel

    channels = pipe.vae.config.latent_channels
    transformer = CogVideoXTransformer3DModel.from_config(pipe.transformer.config, in_channels=2 * channels)
    parts = {k: v for k, v in pipe.components.items() if k != "transformer"}
    return CogVideoXImageToVideoPipeline(**parts, transformer=transformer)


def _wan(pipe: Any, overrides: dict[str, Any]) -> Any:
    """Wan 2.1 I2V wiring: 2 x z_dim + 4 mask channels in, CLIP vision features through added K/V."""
    from diffusers import WanImageToVideoPipeline, WanTransformer3DModel
    from transformers import CLIPImageProcessorPil, CLIPVisionConfig, CLIPVisionModel

    size = int(overrides.get("resolution", 16))
    vision_values = config_values(
        dict(hidden_size=8, intermediate_size=16, num_attention_heads=2, num_hidden_layers=2, patch_size=4),
        overrides.get("image_encoder"),
    )
    vision = CLIPVisionModel(CLIPVisionConfig(**vision_values | {"image_size": size}))
    z_dim, config = pipe.vae.config.z_dim, pipe.transformer.config
    transformer = WanTransformer3DModel.from_config(
        config,
        in_channels=2 * z_dim + 4,
        image_dim=vision.config.hidden_size,
        added_kv_proj_dim=config.num_attention_heads * config.attention_head_dim,
    )
    return WanImageToVideoPipeline(
        tokenizer=pipe.tokenizer,
        text_encoder=pipe.text_encoder,
        vae=pipe.vae,
        scheduler=pipe.scheduler,
        image_processor=CLIPImageProcessorPil(
            size={"shortest_edge": size}, crop_size={"height": size, "width": size}
        ),
        image_encoder=vision,
        transformer=transformer,
    )
