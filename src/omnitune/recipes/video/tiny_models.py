"""Tiny from-config video models with processors built in memory (no Hub): tests and the offline demo."""

from __future__ import annotations

from typing import Any

from omnitune.recipes.audio.tiny_models import unigram_vocab
from omnitune.recipes.media_training import config_values, label_maps


def tiny_video_pipeline(from_config: dict[str, Any]) -> Any:
    """A tiny text-to-video pipeline: ``family`` cogvideox, hunyuan or ltx, else Wan 2.1; with
    ``image_to_video: true``, that family's image-to-video pipeline."""
    from omnitune.recipes.video.tiny_image_to_video import tiny_image_to_video_pipeline

    family = from_config.get("family", "wan")
    builders = {
        "cogvideox": tiny_cogvideox_pipeline,
        "hunyuan": tiny_hunyuan_pipeline,
        "ltx": tiny_ltx_pipeline,
        "wan": tiny_wan_pipeline,
    }
    if family not in builders:
        raise ValueError(f"from_config.family {family!r}: use one of {sorted(builders)}")
    pipe = builders[family](from_config)
    if from_config.get("image_to_video"):
        return tiny_image_to_video_pipeline(family, pipe, from_config)
    return pipe


def tiny_hunyuan_pipeline(overrides: dict[str, Any]) -> Any:
    """A ``HunyuanVideoPipeline``: 1+1-layer guidance-distilled transformer, tiny VAE, Llama + CLIP."""
    from diffusers import (
        AutoencoderKLHunyuanVideo,
        FlowMatchEulerDiscreteScheduler,
        HunyuanVideoPipeline,
        HunyuanVideoTransformer3DModel,
    )
    from diffusers.pipelines.hunyuan_video.pipeline_hunyuan_video import DEFAULT_PROMPT_TEMPLATE
    from transformers import CLIPTextConfig, CLIPTextModel, LlamaConfig, LlamaModel

    from omnitune.recipes.llm.tokenizers import train_bpe_tokenizer
    from omnitune.recipes.multimodal.tiny_models import clip_tokenizer

    template = str(DEFAULT_PROMPT_TEMPLATE["template"])
    tokenizer, tokenizer_2 = train_bpe_tokenizer([template], 400), clip_tokenizer()
    llama_values = config_values(
        dict(hidden_size=16, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2),
        overrides.get("text_encoder"),
    )
    llama = LlamaConfig(
        **llama_values
        | dict(
            vocab_size=len(tokenizer),
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    )
    clip_values = config_values(
        dict(
            hidden_size=8,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            max_position_embeddings=77,
        ),
        overrides.get("text_encoder_2"),
    )
    clip = CLIPTextConfig(
        **clip_values
        | dict(
            vocab_size=len(tokenizer_2),
            bos_token_id=tokenizer_2.bos_token_id,
            eos_token_id=tokenizer_2.eos_token_id,
            pad_token_id=tokenizer_2.pad_token_id,
        )
    )
    vae_defaults = dict(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        down_block_types=["HunyuanVideoDownBlock3D"] * 4,
        up_block_types=["HunyuanVideoUpBlock3D"] * 4,
        block_out_channels=[8, 8, 8, 8],
        layers_per_block=1,
        act_fn="silu",
        norm_num_groups=4,
        scaling_factor=0.476986,
        spatial_compression_ratio=8,
        temporal_compression_ratio=4,
        mid_block_add_attention=True,
    )
    vae_values = config_values(vae_defaults, overrides.get("vae"))
    sizes: dict[str, Any] = dict(
        num_attention_heads=2,
        attention_head_dim=10,
        num_layers=1,
        num_single_layers=1,
        num_refiner_layers=1,
        patch_size=1,
        patch_size_t=1,
        guidance_embeds=True,
        rope_axes_dim=[2, 4, 4],
    )
    wiring = dict(
        in_channels=vae_values["latent_channels"],
        out_channels=vae_values["latent_channels"],
        text_embed_dim=llama.hidden_size,
        pooled_projection_dim=clip.hidden_size,
    )
    transformer = HunyuanVideoTransformer3DModel(
        **config_values(sizes, overrides.get("transformer")) | wiring
    )
    return HunyuanVideoPipeline(
        text_encoder=LlamaModel(llama),
        tokenizer=tokenizer,
        transformer=transformer,
        vae=AutoencoderKLHunyuanVideo(**vae_values),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder_2=CLIPTextModel(clip),
        tokenizer_2=tokenizer_2,
    )


def tiny_ltx_pipeline(overrides: dict[str, Any]) -> Any:
    """An ``LTXPipeline``: 1-layer LTX transformer, 4-block 8-channel LTX VAE (4x compression), 1-layer T5."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    tokenizer, text = tiny_t5_text(T5Config, overrides)
    vae_defaults = dict(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=[8, 8, 8, 8],
        decoder_block_out_channels=[8, 8, 8, 8],
        layers_per_block=[1, 1, 1, 1, 1],
        decoder_layers_per_block=[1, 1, 1, 1, 1],
        spatio_temporal_scaling=[True, True, False, False],
        decoder_spatio_temporal_scaling=[True, True, False, False],
        decoder_inject_noise=[False] * 5,
        upsample_residual=[False] * 4,
        upsample_factor=[1] * 4,
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    vae_values = config_values(vae_defaults, overrides.get("vae"))
    vae: Any = AutoencoderKLLTXVideo(**vae_values)
    vae.use_framewise_encoding = vae.use_framewise_decoding = False  # whole tiny clips at once
    sizes: dict[str, Any] = dict(
        patch_size=1, patch_size_t=1, num_attention_heads=4, attention_head_dim=8, num_layers=1
    )
    wiring = dict(
        in_channels=vae_values["latent_channels"],
        out_channels=vae_values["latent_channels"],
        cross_attention_dim=text.d_model,
        caption_channels=text.d_model,
    )
    transformer = LTXVideoTransformer3DModel(**config_values(sizes, overrides.get("transformer")) | wiring)
    return LTXPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=T5EncoderModel(text),
        tokenizer=tokenizer,
        transformer=transformer,
    )


def tiny_cogvideox_pipeline(overrides: dict[str, Any]) -> Any:
    """A ``CogVideoXPipeline``: 1-layer transformer, 4-block 8-channel CogVideoX VAE, 1-layer T5."""
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    tokenizer, text = tiny_t5_text(T5Config, overrides)
    vae_defaults = dict(
        in_channels=3,
        out_channels=3,
        down_block_types=["CogVideoXDownBlock3D"] * 4,
        up_block_types=["CogVideoXUpBlock3D"] * 4,
        block_out_channels=[8, 8, 8, 8],
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )
    vae_values = config_values(vae_defaults, overrides.get("vae"))
    sizes: dict[str, Any] = dict(
        num_attention_heads=4,
        attention_head_dim=8,
        time_embed_dim=2,
        num_layers=1,
        sample_width=2,
        sample_height=2,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=16,
    )
    wiring = dict(
        in_channels=vae_values["latent_channels"],
        out_channels=vae_values["latent_channels"],
        text_embed_dim=text.d_model,
    )
    transformer = CogVideoXTransformer3DModel(**config_values(sizes, overrides.get("transformer")) | wiring)
    return CogVideoXPipeline(
        tokenizer=tokenizer,
        text_encoder=T5EncoderModel(text),
        vae=AutoencoderKLCogVideoX(**vae_values),
        transformer=transformer,
        scheduler=CogVideoXDDIMScheduler(),
    )


def tiny_wan_pipeline(overrides: dict[str, Any]) -> Any:
    """A ``WanPipeline``: 2-layer transformer, tiny VAE, 1-layer UMT5; sections of ``overrides`` win."""
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )
    from transformers import UMT5Config, UMT5EncoderModel

    tokenizer, text = tiny_t5_text(UMT5Config, overrides)
    vae_defaults = dict(
        base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )
    vae_values = config_values(vae_defaults, overrides.get("vae"))
    vae = AutoencoderKLWan(**vae_values)
    sizes: dict[str, Any] = dict(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    wiring = dict(in_channels=vae_values["z_dim"], out_channels=vae_values["z_dim"], text_dim=text.d_model)
    transformer = WanTransformer3DModel(**config_values(sizes, overrides.get("transformer")) | wiring)
    return WanPipeline(
        tokenizer=tokenizer,
        text_encoder=UMT5EncoderModel(text),
        vae=vae,
        transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
    )


def tiny_t5_text(config_cls: Any, overrides: dict[str, Any]) -> tuple[Any, Any]:
    """A unigram T5 tokenizer and a 1-layer width-32 T5-style text config (``text_encoder`` overrides)."""
    from transformers import T5Tokenizer

    tokenizer = T5Tokenizer(vocab=unigram_vocab(["<pad>", "</s>", "<unk>"]), extra_ids=0)
    text_values = config_values(
        dict(d_model=32, d_kv=8, d_ff=32, num_layers=1, num_heads=2), overrides.get("text_encoder")
    )
    return tokenizer, config_cls(**text_values | {"vocab_size": len(tokenizer)})


def tiny_videomae(overrides: dict[str, Any], labels: list[str]) -> tuple[Any, Any]:
    """A 2-layer, width-16 VideoMAE classifier on 4 frames of 16x16, with its image processor."""
    from transformers import VideoMAEConfig, VideoMAEForVideoClassification, VideoMAEImageProcessorPil

    sizes: dict[str, Any] = dict(
        image_size=16,
        patch_size=8,
        num_frames=4,
        tubelet_size=2,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
    )
    config = VideoMAEConfig(**{**config_values(sizes, overrides), **label_maps(labels)})
    size = int(config.image_size)  # type: ignore[arg-type]
    processor = VideoMAEImageProcessorPil(
        size={"shortest_edge": size}, crop_size={"height": size, "width": size}
    )
    return VideoMAEForVideoClassification(config), processor


def tiny_video_defaults(from_config: dict[str, Any]) -> dict[str, Any]:
    """Clip size and sampling defaults for tiny video models on a CPU (overridable by the entry)."""
    size = int(from_config.get("resolution", 16))
    return {
        "num_frames": int(from_config.get("num_frames", 9)),
        "height": size,
        "width": size,
        "fps": 8,
        "max_sequence_length": 16,
        "prompt_crop_start": "auto",  # HunyuanVideo's template offset, for the tiny in-memory tokenizer
        "sample_steps": 2,
        "sample_guidance": 1.0,
    }
