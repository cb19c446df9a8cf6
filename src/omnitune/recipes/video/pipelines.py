"""The diffusers video pipeline a video LoRA trains: loading, latent/caption caching, saving, sampling.

Wan 2.1 (``WanPipeline``: ``WanTransformer3DModel`` + ``AutoencoderKLWan`` + UMT5), LTX-Video
(``LTXPipeline``) and CogVideoX (``CogVideoXPipeline``) are trained with their own objectives
(``objectives.py``), and HunyuanVideo (``HunyuanVideoPipeline``: Llama + CLIP text encoders,
guidance-distilled transformer). Their image-to-video pipelines (``WanImageToVideoPipeline``,
``LTXImageToVideoPipeline``, ``CogVideoXImageToVideoPipeline``) train on the same clips, conditioned
on each clip's first frame (``image_conditioning.py``). Any other pipeline is refused with a clear
error before any work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from omnitune.recipes.base import RecipeContext
from omnitune.recipes.image.optim import weight_dtype
from omnitune.recipes.media_inputs import Row, load_frames
from omnitune.recipes.media_training import resolve_model
from omnitune.recipes.video.image_conditioning import (
    CogVideoXImageConditioned,
    LTXImageConditioned,
    WanImageConditioned,
)
from omnitune.recipes.video.objectives import (
    Captions,
    CogVideoXVPrediction,
    HunyuanFlowMatching,
    LTXFlowMatching,
    WanFlowMatching,
)

SUPPORTED: dict[str, Any] = {
    "WanPipeline": WanFlowMatching,
    "CogVideoXPipeline": CogVideoXVPrediction,
    "LTXPipeline": LTXFlowMatching,
    "HunyuanVideoPipeline": HunyuanFlowMatching,
    "WanImageToVideoPipeline": WanImageConditioned,
    "CogVideoXImageToVideoPipeline": CogVideoXImageConditioned,
    "LTXImageToVideoPipeline": LTXImageConditioned,
}


@dataclass
class VideoModel:
    """A loaded pipeline whose transformer is being trained."""

    pipe: Any
    from_config: bool
    hp: dict[str, Any]
    objective: Any  # WanFlowMatching | CogVideoXVPrediction

    @property
    def transformer(self) -> Any:
        """The denoising transformer (the only part that gets LoRA layers)."""
        return self.pipe.transformer

    def save_lora(self, out: Path) -> None:
        """Write the LoRA in diffusers format (``pytorch_lora_weights.safetensors``)."""
        from peft.utils import get_peft_model_state_dict

        out.mkdir(parents=True, exist_ok=True)
        layers = get_peft_model_state_dict(self.transformer)
        type(self.pipe).save_lora_weights(out, transformer_lora_layers=layers)

    def save_base(self, directory: Path) -> None:
        """Save the pipeline without its LoRA layers (a from-config base exists nowhere else)."""
        self.transformer.unload_lora()  # removes the LoRA layers, leaving the original modules
        self.pipe.save_pretrained(directory)

    @torch.no_grad()
    def generate(self, prompt: str, steps: int, guidance: float, seed: int, image: Any = None) -> Any:
        """A clip for ``prompt`` (from ``image``, a PIL first frame, for image-to-video) as uint8 RGB
        frames (frames, height, width, 3)."""
        generator = torch.Generator(device="cpu").manual_seed(seed)
        if self.objective.image_conditioned:
            if image is None:
                raise ValueError(f"{type(self.pipe).__name__} samples from a first frame: pass image=")
            extra = {"image": image}
        else:
            extra = {}
        frames = self.pipe(
            prompt=prompt,
            num_frames=int(self.hp["num_frames"]),
            height=int(self.hp["height"]),
            width=int(self.hp["width"]),
            num_inference_steps=steps,
            guidance_scale=guidance,
            max_sequence_length=int(self.hp["max_sequence_length"]),
            generator=generator,
            output_type="np",
            **self.objective.call_kwargs() | extra,
        ).frames[0]
        return (np.clip(frames, 0.0, 1.0) * 255).round().astype(np.uint8)


def load_video_pipeline(ctx: RecipeContext, hp: dict[str, Any], device: torch.device) -> VideoModel:
    """The plan's pipeline (tiny from config, or from the Hub / a directory), frozen, on ``device``."""
    from diffusers import DiffusionPipeline

    from omnitune.recipes.video.tiny_models import tiny_video_pipeline

    source = resolve_model(ctx)
    pipe = (
        tiny_video_pipeline(source.tiny)
        if source.tiny is not None
        else DiffusionPipeline.from_pretrained(str(source.ref))
    )
    kind = type(pipe).__name__
    if kind not in SUPPORTED:
        raise ValueError(
            f"{ctx.model.base_model}: a {kind}; video_lora trains the text-to-video and image-to-video "
            f"pipelines {', '.join(sorted(SUPPORTED))}; choose one such as Wan-AI/Wan2.1-T2V-1.3B-Diffusers"
        )
    dtype = weight_dtype(hp, device)
    encoders = [
        e
        for e in (
            pipe.text_encoder,
            getattr(pipe, "text_encoder_2", None),
            getattr(pipe, "image_encoder", None),
        )
        if e is not None
    ]
    for part in (pipe.vae, *encoders, pipe.transformer):
        part.requires_grad_(False)
    pipe.vae.to(device)  # Wan's VAE stays in fp32, as the reference pipeline keeps it
    for part in (*encoders, pipe.transformer):
        part.to(device) if dtype == torch.float32 else part.to(device, dtype)
    pipe.set_progress_bar_config(disable=True)
    return VideoModel(pipe, source.tiny is not None, hp, SUPPORTED[kind](pipe, hp))


class VideoLatents:
    """Encodes clips with the VAE and captions with the text encoder, once, before training."""

    def __init__(self, video: VideoModel, data_dir: Path, hp: dict[str, Any]) -> None:
        self.video, self.data_dir, self.hp = video, data_dir, hp

    @torch.no_grad()
    def encode(self, rows: list[Row]) -> tuple[torch.Tensor, Captions]:
        """(latents in the layout the transformer takes, normalised as the pipeline expects; captions
        followed by any per-clip image conditioning)."""
        objective, vae = self.video.objective, self.video.pipe.vae
        clips = [self.pixels(row).to(vae.device) for row in rows]
        latents = torch.cat([objective.encode(vae, clip) for clip in clips])
        dtype = self.video.transformer.dtype
        captions = objective.captions([str(r["text"]) for r in rows], latents.device, dtype)
        per_clip = [objective.conditions(clip, i) for i, clip in enumerate(clips)]
        extras = tuple(torch.cat(parts) for parts in zip(*per_clip, strict=True))
        return latents.to(dtype), (*captions, *extras)

    def pixels(self, row: Row) -> torch.Tensor:
        """A clip as (1, 3, F, H, W) pixels in [-1, 1]."""
        hp = self.hp
        frames = load_frames(
            self.data_dir, row["video"], int(hp["num_frames"]), int(hp["height"]), int(hp["width"])
        )
        return torch.from_numpy(frames).permute(3, 0, 1, 2)[None].float() / 127.5 - 1.0

    def first_frame(self, row: Row) -> Any:
        """The clip's first frame as a PIL image (what an image-to-video sample starts from)."""
        from PIL import Image

        rgb = (self.pixels(row)[0, :, 0].permute(1, 2, 0) + 1.0) * 127.5
        return Image.fromarray(rgb.round().clamp(0, 255).byte().numpy())
