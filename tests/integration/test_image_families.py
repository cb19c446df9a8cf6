"""image_lora beyond SD 1.x: tiny SDXL (two CLIP encoders, pooled + size conditioning) and SD3 (flow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from image_helpers import TINY_HP, captioned_rows, make_context, write_image_dataset

from omnitune.types import Method

pytestmark = pytest.mark.slow


def save_tiny_sdxl(directory: Path) -> Path:
    """A random-weight StableDiffusionXLPipeline with byte-level tokenizers, saved to ``directory``."""
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from omnitune.recipes.image.models import byte_level_tokenizer

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=16,
        block_out_channels=(32, 64),
        layers_per_block=1,
        norm_num_groups=8,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        cross_attention_dim=32,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        projection_class_embeddings_input_dim=6 * 8 + 16,
    )
    vae = AutoencoderKL(
        block_out_channels=(8, 16),
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=32,
    )
    tokenizer = byte_level_tokenizer(24)
    text = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=24,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        projection_dim=16,
    )
    StableDiffusionXLPipeline(
        vae=vae,
        unet=unet,
        text_encoder=CLIPTextModel(text),
        text_encoder_2=CLIPTextModelWithProjection(text),
        tokenizer=tokenizer,
        tokenizer_2=byte_level_tokenizer(24),
        scheduler=EulerDiscreteScheduler(beta_schedule="scaled_linear"),
    ).save_pretrained(directory)
    return directory


def test_sdxl_lora_trains_and_reloads(tmp_path: Path) -> None:
    from diffusers import StableDiffusionXLPipeline

    from omnitune.recipes.image.lora import ImageLoraRecipe

    torch.set_num_threads(1)  # tiny models on a busy shared CPU run faster single-threaded
    base = save_tiny_sdxl(tmp_path / "sdxl")
    data = write_image_dataset(tmp_path / "data", captioned_rows(4))
    hp = {**TINY_HP, "learning_rate": 3e-3}
    ctx, events = make_context(tmp_path, base, data, "image_lora", Method.LORA, hp, max_steps=8)
    result = ImageLoraRecipe().run(ctx)
    assert result.status == "completed"
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]
    assert Path(events.named("sample")[-1]["path"]).is_file()

    pipe = StableDiffusionXLPipeline.from_pretrained(base)
    pipe.set_progress_bar_config(disable=True)
    kwargs = {"num_inference_steps": 2, "height": 32, "width": 32, "output_type": "np"}
    plain = pipe("red stripes", generator=torch.Generator().manual_seed(0), **kwargs).images[0]
    pipe.load_lora_weights(ctx.output_dir)
    tuned = pipe("red stripes", generator=torch.Generator().manual_seed(0), **kwargs).images[0]
    assert np.abs(tuned - plain).max() > 1e-4


def save_tiny_sd3(directory: Path) -> Path:
    """A random-weight SD3 pipeline without its T5 encoder (SD3 then pads CLIP embeddings with zeros)."""
    from diffusers import (
        AutoencoderKL,
        FlowMatchEulerDiscreteScheduler,
        SD3Transformer2DModel,
        StableDiffusion3Pipeline,
    )
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection

    from omnitune.recipes.image.models import byte_level_tokenizer

    torch.manual_seed(0)
    transformer = SD3Transformer2DModel(
        sample_size=16,
        patch_size=2,
        in_channels=4,
        out_channels=4,
        num_layers=1,
        attention_head_dim=8,
        num_attention_heads=2,
        joint_attention_dim=32,
        caption_projection_dim=16,
        pooled_projection_dim=32,
        pos_embed_max_size=32,
    )
    vae = AutoencoderKL(
        block_out_channels=(8, 16),
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=32,
        shift_factor=0.06,
        scaling_factor=1.5,
    )
    tokenizer = byte_level_tokenizer(24)
    text = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=24,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        projection_dim=16,
    )
    StableDiffusion3Pipeline(
        transformer=transformer,
        vae=vae,
        text_encoder=CLIPTextModelWithProjection(text),
        text_encoder_2=CLIPTextModelWithProjection(text),
        text_encoder_3=None,
        tokenizer=tokenizer,
        tokenizer_2=byte_level_tokenizer(24),
        tokenizer_3=None,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
    ).save_pretrained(directory)
    return directory


def test_sd3_lora_trains_with_flow_matching_and_reloads(tmp_path: Path) -> None:
    from diffusers import StableDiffusion3Pipeline

    from omnitune.recipes.image.lora import ImageLoraRecipe

    torch.set_num_threads(1)
    base = save_tiny_sd3(tmp_path / "sd3")
    data = write_image_dataset(tmp_path / "data", captioned_rows(4))
    hp = {**TINY_HP, "learning_rate": 3e-3, "drop_text_encoder_3": True, "weighting_scheme": "logit_normal"}
    ctx, _ = make_context(tmp_path, base, data, "image_lora", Method.LORA, hp, max_steps=8)
    result = ImageLoraRecipe().run(ctx)
    assert result.status == "completed"
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]
    assert not (ctx.output_dir / "kohya").exists()  # transformer LoRAs are exported in diffusers format only

    pipe = StableDiffusion3Pipeline.from_pretrained(base, text_encoder_3=None, tokenizer_3=None)
    pipe.set_progress_bar_config(disable=True)
    kwargs = {"num_inference_steps": 2, "height": 32, "width": 32, "output_type": "np"}
    plain = pipe("red stripes", generator=torch.Generator().manual_seed(0), **kwargs).images[0]
    pipe.load_lora_weights(ctx.output_dir)
    tuned = pipe("red stripes", generator=torch.Generator().manual_seed(0), **kwargs).images[0]
    assert np.abs(tuned - plain).max() > 1e-4
