"""Image-to-video objectives: each family's text-to-video objective, conditioned on the clip's first frame.

The first frame of every training clip is the conditioning image, prepared the way the family's own
image-to-video pipeline prepares it at inference, so a LoRA trained here samples with that pipeline:

- LTX-Video (``LTXImageToVideoPipeline``): the first latent frame is the image's latent and stays clean
  (per-token timestep ``t * (1 - mask)``); the loss covers the frames after it.
- CogVideoX (``CogVideoXImageToVideoPipeline``): the image latent, zero-padded over time, is concatenated
  to the noisy latents on the channel axis (the transformer takes twice the VAE's channels).
- Wan 2.1 (``WanImageToVideoPipeline``): a first-frame mask and the latent of [image, zeros...] are
  concatenated on the channel axis, and the image encoder's features join the caption's.

Latents are cached once, so the per-step image-noise augmentation of the reference CogVideoX script
is not applied.
"""

from __future__ import annotations

from typing import Any

import torch

from omnitune.recipes.video.objectives import Captions, CogVideoXVPrediction, LTXFlowMatching, WanFlowMatching


def first_frame(pixels: torch.Tensor) -> torch.Tensor:
    """(1, 3, F, H, W) pixels in [-1, 1] -> the first frame as (1, 3, H, W)."""
    return pixels[:, :, 0]


class LTXImageConditioned(LTXFlowMatching):
    """LTX-Video image-to-video: a clean first latent frame, rectified flow on the frames after it."""

    image_conditioned = True

    def encode(self, vae: Any, pixels: torch.Tensor) -> torch.Tensor:
        """Clip latents whose first frame is the image's own latent, as the pipeline builds it."""
        latents = super().encode(vae, pixels)
        image = vae.encode(first_frame(pixels).unsqueeze(2)).latent_dist.mode()
        latents[:, :, :1] = self.pipe._normalize_latents(image, vae.latents_mean, vae.latents_std)
        return latents

    def _per_sample(
        self,
        transformer: Any,
        latents: torch.Tensor,
        captions: Captions,
        noise: torch.Tensor,
        sigmas: torch.Tensor,
    ) -> torch.Tensor:
        mask = torch.zeros_like(latents[:, :1])
        mask[:, :, 0] = 1.0
        s = sigmas.view(-1, *([1] * (latents.ndim - 1))).to(latents.dtype)
        noisy = mask * latents + (1.0 - mask) * ((1.0 - s) * latents + s * noise)
        p, pt = self.pipe.transformer_spatial_patch_size, self.pipe.transformer_temporal_patch_size
        token_mask = self.pipe._pack_latents(mask, p, pt).squeeze(-1)
        timesteps = (sigmas * 1000).unsqueeze(-1) * (1.0 - token_mask)
        prediction = self._predict(transformer, noisy.to(transformer.dtype), timesteps, captions)
        error = (prediction.float() - (noise - latents).float())[:, :, 1:] ** 2
        return error.mean(dim=tuple(range(1, latents.ndim)))


class CogVideoXImageConditioned(CogVideoXVPrediction):
    """CogVideoX image-to-video: the padded image latent rides along the noisy latents' channels."""

    image_conditioned = True

    def conditions(self, pixels: torch.Tensor, seed: int) -> Captions:
        """The image latents of the clip's first frame, laid out as the pipeline concatenates them."""
        hp, channels = self.hp, self.pipe.transformer.config.in_channels // 2
        _, image_latents = self.pipe.prepare_latents(
            first_frame(pixels),
            1,
            channels,
            int(hp["num_frames"]),
            int(hp["height"]),
            int(hp["width"]),
            pixels.dtype,
            pixels.device,
            torch.Generator().manual_seed(seed),
        )
        return (image_latents,)

    def _forward(
        self, transformer: Any, noisy: torch.Tensor, timesteps: torch.Tensor, captions: Captions, **extra: Any
    ) -> torch.Tensor:
        model_input = torch.cat([noisy, captions[-1].to(noisy.dtype)], dim=2)
        if transformer.config.ofs_embed_dim is not None:  # CogVideoX 1.5: the pipeline's fixed ofs of 2.0
            extra["ofs"] = noisy.new_full((noisy.shape[0],), 2.0)
        return super()._forward(transformer, model_input, timesteps, captions, **extra)


class WanImageConditioned(WanFlowMatching):
    """Wan 2.1 image-to-video: first-frame mask + conditioning latents on the channels, image features."""

    image_conditioned = True

    def __init__(self, pipe: Any, hp: dict[str, Any]) -> None:
        if pipe.config.expand_timesteps:
            raise ValueError(
                "Wan 2.2 TI2V (expand_timesteps) pipelines are not trained by video_lora yet; use a Wan 2.1 "
                "image-to-video model such as Wan-AI/Wan2.1-I2V-14B-480P-Diffusers"
            )
        super().__init__(pipe, hp)
        if pipe.transformer.config.added_kv_proj_dim is not None:
            hp["max_sequence_length"] = 512  # its attention takes the last 512 context tokens as the text

    def conditions(self, pixels: torch.Tensor, seed: int) -> Captions:
        """The mask + first-frame latent condition, and the image encoder's features when it has one."""
        from PIL import Image

        hp, vae = self.hp, self.pipe.vae
        _, condition = self.pipe.prepare_latents(
            first_frame(pixels).float(),
            1,
            vae.config.z_dim,
            int(hp["height"]),
            int(hp["width"]),
            int(hp["num_frames"]),
            torch.float32,
            pixels.device,
        )
        if self.pipe.transformer.config.image_dim is None:
            return (condition,)
        rgb = ((first_frame(pixels)[0].permute(1, 2, 0) + 1.0) * 127.5).clamp(0, 255).byte().cpu().numpy()
        return condition, self.pipe.encode_image(Image.fromarray(rgb), pixels.device)

    def _predict(
        self, transformer: Any, noisy: torch.Tensor, timesteps: torch.Tensor, captions: Captions
    ) -> torch.Tensor:
        image = captions[2].to(transformer.dtype) if len(captions) > 2 else None
        return transformer(
            hidden_states=torch.cat([noisy, captions[1].to(noisy.dtype)], dim=1),
            timestep=timesteps,
            encoder_hidden_states=captions[0],
            encoder_hidden_states_image=image,
            return_dict=False,
        )[0]
