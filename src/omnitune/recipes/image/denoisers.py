"""One adapter per text-to-image family: how to encode captions and call the denoiser.

SD 1.5/2.x (UNet, DDPM objective), SDXL (UNet + pooled text and size conditioning), SD3/3.5 and
FLUX.1 (transformers trained with flow matching). The recipes only see ``Denoiser``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

Conditioning = dict[str, torch.Tensor]


@dataclass
class Denoiser:
    """The trainable network of a pipeline and how to condition and call it."""

    pipe: Any
    family: str  # "sd" | "sdxl" | "sd3" | "flux"

    @property
    def model(self) -> torch.nn.Module:
        """The UNet or transformer that LoRA / full fine-tuning trains."""
        model: torch.nn.Module = self.pipe.unet if hasattr(self.pipe, "unet") else self.pipe.transformer
        return model

    @property
    def flow_matching(self) -> bool:
        """True for rectified-flow models (SD3, Flux); False for DDPM-style UNets."""
        return self.family in ("sd3", "flux")

    def encode_text(self, texts: list[str], device: torch.device) -> Conditioning:
        """Caption embeddings (with gradients only where the text encoder trains)."""
        if self.family == "sd":
            return {
                "encoder_hidden_states": encode_clip(
                    self.pipe.tokenizer, self.pipe.text_encoder, texts, device
                )
            }
        if self.family == "sdxl":
            embeds, _, pooled, _ = self.pipe.encode_prompt(
                texts, device=device, do_classifier_free_guidance=False
            )
            return {"encoder_hidden_states": embeds, "text_embeds": pooled}
        if self.family == "sd3":
            embeds, _, pooled, _ = self.pipe.encode_prompt(
                texts, None, None, device=device, do_classifier_free_guidance=False
            )
            return {"encoder_hidden_states": embeds, "pooled_projections": pooled}
        embeds, pooled, text_ids = self.pipe.encode_prompt(texts, None, device=device)
        return {"encoder_hidden_states": embeds, "pooled_projections": pooled, "txt_ids": text_ids}

    def predict(
        self, noisy: torch.Tensor, timesteps: torch.Tensor, cond: Conditioning, **extra: Any
    ) -> torch.Tensor:
        """The model output for noisy latents (B, C, H, W): noise/velocity (DDPM) or flow velocity."""
        dtype = next(self.model.parameters()).dtype  # a half-precision base takes half inputs
        noisy = noisy.to(dtype)
        cond = {k: v.to(dtype) if v.is_floating_point() else v for k, v in cond.items()}
        if self.family == "sd":
            return self.model(noisy, timesteps, cond["encoder_hidden_states"], **extra).sample
        if self.family == "sdxl":
            h, w = (
                noisy.shape[-2] * self.pipe.vae_scale_factor,
                noisy.shape[-1] * self.pipe.vae_scale_factor,
            )
            time_ids = torch.tensor([[h, w, 0, 0, h, w]], device=noisy.device, dtype=noisy.dtype)
            added = {"text_embeds": cond["text_embeds"], "time_ids": time_ids.repeat(noisy.shape[0], 1)}
            return self.model(noisy, timesteps, cond["encoder_hidden_states"], added_cond_kwargs=added).sample
        if self.family == "sd3":
            return self.model(
                hidden_states=noisy,
                timestep=timesteps,
                encoder_hidden_states=cond["encoder_hidden_states"],
                pooled_projections=cond["pooled_projections"],
            ).sample
        return flux_predict(self.model, noisy, timesteps, cond, self.pipe.vae_scale_factor, **extra)


def denoiser_for(pipe: Any) -> Denoiser:
    """The adapter for a loaded pipeline, or a clear error naming the supported families."""
    name = type(pipe).__name__
    if name.startswith("StableDiffusionXL"):
        return Denoiser(pipe, "sdxl")
    if name.startswith("StableDiffusion3"):
        return Denoiser(pipe, "sd3")
    if name.startswith("Flux"):
        return Denoiser(pipe, "flux")
    if name.startswith("StableDiffusion"):
        return Denoiser(pipe, "sd")
    raise ValueError(
        f"{name}: not a supported text-to-image pipeline; the image recipes train Stable Diffusion "
        "1.x/2.x, SDXL, SD3/3.5 and FLUX.1"
    )


def encode_clip(tokenizer: Any, text_encoder: Any, texts: list[str], device: torch.device) -> torch.Tensor:
    """CLIP hidden states for captions, padded to the tokenizer's model_max_length."""
    ids = tokenizer(
        texts,
        padding="max_length",
        max_length=tokenizer.model_max_length,
        truncation=True,
        return_tensors="pt",
    ).input_ids.to(device)
    hidden: torch.Tensor = text_encoder(ids)[0]
    return hidden


def flux_predict(
    transformer: Any,
    noisy: torch.Tensor,
    timesteps: torch.Tensor,
    cond: Conditioning,
    vae_scale_factor: int,
    guidance_scale: float = 1.0,
) -> torch.Tensor:
    """Flux works on 2x2-packed latent tokens with position ids; pack, predict, unpack."""
    from diffusers import FluxPipeline

    b, c, h, w = noisy.shape
    packed = FluxPipeline._pack_latents(noisy, b, c, h, w)
    image_ids = FluxPipeline._prepare_latent_image_ids(b, h // 2, w // 2, noisy.device, noisy.dtype)
    guidance = None
    if transformer.config.guidance_embeds:
        guidance = torch.full((b,), guidance_scale, device=noisy.device, dtype=noisy.dtype)
    out = transformer(
        hidden_states=packed,
        timestep=timesteps / 1000,  # Flux embeds sigma in [0, 1]
        guidance=guidance,
        pooled_projections=cond["pooled_projections"],
        encoder_hidden_states=cond["encoder_hidden_states"],
        txt_ids=cond["txt_ids"],
        img_ids=image_ids,
        return_dict=False,
    )[0]
    unpacked: torch.Tensor = FluxPipeline._unpack_latents(
        out, h * vae_scale_factor, w * vae_scale_factor, vae_scale_factor
    )
    return unpacked
