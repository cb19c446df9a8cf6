"""Each video model family's own latent encoding and training objective, for the video LoRA recipe.

Wan 2.1 trains with rectified flow on VAE latents normalised by the VAE's per-channel mean/std;
LTX-Video the same way on latents packed into a token sequence, with the caption attention mask
and RoPE interpolation scale its pipeline passes; HunyuanVideo on scaled latents with Llama and
CLIP caption features and its distilled guidance input; CogVideoX with v-prediction on a DDPM schedule
(``CogVideoXDPMScheduler``), latents scaled by the VAE's ``scaling_factor`` and laid out (batch,
frames, channels, h, w), loss weighted by 1 / (1 - alpha_bar) as in diffusers' CogVideoX LoRA
example. ``fixed_loss`` measures each at fixed noise levels with seeded noise, so it is comparable
before and after training.
"""

from __future__ import annotations

from typing import Any

import torch

from omnitune.recipes.image.objectives import sample_flow_sigmas

Captions = tuple[torch.Tensor, ...]  # per-clip transformer inputs: caption embeddings [, mask] [, image]
FIXED_LEVELS = (0.25, 0.5, 0.75)  # fractions of the noise schedule where fixed_loss is measured


def _seeded_noise(latents: torch.Tensor, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(latents.shape, generator=generator).to(latents.device, latents.dtype)


class WanFlowMatching:
    """Rectified flow: x_t = (1 - sigma) x0 + sigma noise; the transformer predicts noise - x0."""

    image_conditioned = False  # image-to-video objectives (image_conditioning.py) take a first frame

    def __init__(self, pipe: Any, hp: dict[str, Any]) -> None:
        from diffusers import FlowMatchEulerDiscreteScheduler

        self.pipe, self.hp = pipe, hp
        self.scheduler: Any = FlowMatchEulerDiscreteScheduler(
            num_train_timesteps=1000, shift=float(hp["flow_shift"])
        )
        self.scheme = str(hp["weighting_scheme"])

    def encode(self, vae: Any, pixels: torch.Tensor) -> torch.Tensor:
        """(1, 3, F, H, W) pixels in [-1, 1] -> latents normalised as WanPipeline de-normalises them."""
        latents = vae.encode(pixels).latent_dist.mode()
        shape = (1, vae.config.z_dim, 1, 1, 1)
        mean = torch.tensor(vae.config.latents_mean).view(shape).to(latents)
        std = torch.tensor(vae.config.latents_std).view(shape).to(latents)
        return (latents - mean) / std

    def call_kwargs(self) -> dict[str, Any]:
        """Extra arguments the pipeline's ``__call__`` needs to sample as it was trained."""
        return {}

    def conditions(self, pixels: torch.Tensor, seed: int) -> Captions:
        """Per-clip inputs besides the caption (none for text-to-video), cached with the latents."""
        return ()

    def captions(self, texts: list[str], device: Any, dtype: Any) -> Captions:
        """Caption embeddings, computed once before training."""
        embeds = self.pipe.encode_prompt(
            texts,
            do_classifier_free_guidance=False,
            device=device,
            dtype=dtype,
            max_sequence_length=int(self.hp["max_sequence_length"]),
        )[0]
        return (embeds,)

    def loss(self, transformer: Any, latents: torch.Tensor, captions: Captions) -> torch.Tensor:
        """The batch loss, sigmas drawn with the SD3 density (``weighting_scheme``)."""
        from diffusers.training_utils import compute_loss_weighting_for_sd3

        _, sigmas = sample_flow_sigmas(self.scheduler, latents.shape[0], self.scheme, device=latents.device)
        per_sample = self._per_sample(transformer, latents, captions, torch.randn_like(latents), sigmas)
        return (per_sample * compute_loss_weighting_for_sd3(self.scheme, sigmas).float()).mean()

    @torch.no_grad()
    def fixed_loss(self, transformer: Any, latents: torch.Tensor, captions: Captions, seed: int) -> float:
        """Unweighted loss at fixed sigmas with seeded noise."""
        noise = _seeded_noise(latents, seed)
        levels = [torch.full((latents.shape[0],), s, device=latents.device) for s in FIXED_LEVELS]
        losses = [float(self._per_sample(transformer, latents, captions, noise, s).mean()) for s in levels]
        return sum(losses) / len(losses)

    def _per_sample(
        self,
        transformer: Any,
        latents: torch.Tensor,
        captions: Captions,
        noise: torch.Tensor,
        sigmas: torch.Tensor,
    ) -> torch.Tensor:
        s = sigmas.view(-1, *([1] * (latents.ndim - 1))).to(latents.dtype)
        noisy = ((1.0 - s) * latents + s * noise).to(transformer.dtype)
        prediction = self._predict(transformer, noisy, sigmas * 1000, captions)
        error = (prediction.float() - (noise - latents).float()) ** 2
        return error.mean(dim=tuple(range(1, latents.ndim)))

    def _predict(
        self, transformer: Any, noisy: torch.Tensor, timesteps: torch.Tensor, captions: Captions
    ) -> torch.Tensor:
        return transformer(
            hidden_states=noisy, timestep=timesteps, encoder_hidden_states=captions[0], return_dict=False
        )[0]


class LTXFlowMatching(WanFlowMatching):
    """Rectified flow for LTX-Video: packed latent tokens, caption mask, RoPE interpolation scale."""

    def encode(self, vae: Any, pixels: torch.Tensor) -> torch.Tensor:
        """Latents normalised with the VAE's mean/std and scaling factor, as LTXPipeline does."""
        latents = vae.encode(pixels).latent_dist.mode()
        return self.pipe._normalize_latents(
            latents, vae.latents_mean, vae.latents_std, vae.config.scaling_factor
        )

    def captions(self, texts: list[str], device: Any, dtype: Any) -> Captions:
        """Caption embeddings and their attention mask."""
        embeds, mask, _, _ = self.pipe.encode_prompt(
            texts,
            do_classifier_free_guidance=False,
            device=device,
            dtype=dtype,
            max_sequence_length=int(self.hp["max_sequence_length"]),
        )
        return embeds, mask

    def _predict(
        self, transformer: Any, noisy: torch.Tensor, timesteps: torch.Tensor, captions: Captions
    ) -> torch.Tensor:
        pipe, (frames, height, width) = self.pipe, noisy.shape[2:]
        p, pt = pipe.transformer_spatial_patch_size, pipe.transformer_temporal_patch_size
        rope_scale = (
            pipe.vae_temporal_compression_ratio / float(self.hp["fps"]),
            pipe.vae_spatial_compression_ratio,
            pipe.vae_spatial_compression_ratio,
        )
        output = transformer(
            hidden_states=pipe._pack_latents(noisy, p, pt),
            encoder_hidden_states=captions[0],
            timestep=timesteps,
            encoder_attention_mask=captions[1],
            num_frames=frames,
            height=height,
            width=width,
            rope_interpolation_scale=rope_scale,
            return_dict=False,
        )[0]
        return pipe._unpack_latents(output, frames, height, width, p, pt)


class HunyuanFlowMatching(WanFlowMatching):
    """Rectified flow for HunyuanVideo: Llama + CLIP caption features and the distilled guidance input."""

    def __init__(self, pipe: Any, hp: dict[str, Any]) -> None:
        from diffusers.pipelines.hunyuan_video.pipeline_hunyuan_video import DEFAULT_PROMPT_TEMPLATE

        super().__init__(pipe, hp)
        self.template = dict(DEFAULT_PROMPT_TEMPLATE)
        if hp.get("prompt_crop_start") == "auto":  # a tokenizer other than the model's own (tiny models)
            prefix = str(self.template["template"]).split("{}")[0]
            self.template["crop_start"] = len(pipe.tokenizer(prefix).input_ids)

    def encode(self, vae: Any, pixels: torch.Tensor) -> torch.Tensor:
        """Latents scaled by the VAE's scaling_factor, as HunyuanVideoPipeline un-scales them."""
        return vae.encode(pixels).latent_dist.mode() * vae.config.scaling_factor

    def call_kwargs(self) -> dict[str, Any]:
        """Sample with the same prompt template the captions were encoded with."""
        return {"prompt_template": self.template}

    def captions(self, texts: list[str], device: Any, dtype: Any) -> Captions:
        """Llama caption embeddings, their mask and the pooled CLIP embedding."""
        embeds, pooled, mask = self.pipe.encode_prompt(
            texts,
            prompt_template=self.template,
            device=device,
            dtype=dtype,
            max_sequence_length=int(self.hp["max_sequence_length"]),
        )
        return embeds, mask, pooled

    def _predict(
        self, transformer: Any, noisy: torch.Tensor, timesteps: torch.Tensor, captions: Captions
    ) -> torch.Tensor:
        guidance = None
        if transformer.config.guidance_embeds:  # guidance-distilled: trained at the scale it samples at
            guidance = torch.full(
                (noisy.shape[0],),
                float(self.hp["guidance"]) * 1000.0,
                device=noisy.device,
                dtype=transformer.dtype,
            )
        return transformer(
            hidden_states=noisy,
            timestep=timesteps,
            encoder_hidden_states=captions[0],
            encoder_attention_mask=captions[1],
            pooled_projections=captions[2],
            guidance=guidance,
            return_dict=False,
        )[0]


class CogVideoXVPrediction(WanFlowMatching):
    """v-prediction on CogVideoX's DDPM schedule; the loss is on the implied clean latents."""

    def __init__(self, pipe: Any, hp: dict[str, Any]) -> None:
        from diffusers import CogVideoXDPMScheduler

        self.pipe, self.hp = pipe, hp
        self.scheduler = CogVideoXDPMScheduler.from_config(pipe.scheduler.config)

    def encode(self, vae: Any, pixels: torch.Tensor) -> torch.Tensor:
        """(1, 3, F, H, W) pixels -> (1, F', C, h, w) latents scaled by the VAE's scaling_factor."""
        latents = vae.encode(pixels).latent_dist.mode() * vae.config.scaling_factor
        return latents.permute(0, 2, 1, 3, 4)

    def loss(self, transformer: Any, latents: torch.Tensor, captions: Captions) -> torch.Tensor:
        """The batch loss at uniformly drawn timesteps."""
        count = self.scheduler.config.num_train_timesteps
        timesteps = torch.randint(0, count, (latents.shape[0],), device=latents.device).long()
        return self._v_loss(transformer, latents, captions, torch.randn_like(latents), timesteps).mean()

    @torch.no_grad()
    def fixed_loss(self, transformer: Any, latents: torch.Tensor, captions: Captions, seed: int) -> float:
        """Loss at fixed timesteps with seeded noise."""
        noise, count = _seeded_noise(latents, seed), self.scheduler.config.num_train_timesteps
        steps = [torch.full((latents.shape[0],), int(f * count), device=latents.device) for f in FIXED_LEVELS]
        losses = [float(self._v_loss(transformer, latents, captions, noise, t).mean()) for t in steps]
        return sum(losses) / len(losses)

    def _v_loss(
        self,
        transformer: Any,
        latents: torch.Tensor,
        captions: Captions,
        noise: torch.Tensor,
        timesteps: torch.Tensor,
    ) -> torch.Tensor:
        noisy = self.scheduler.add_noise(latents, noise, timesteps)
        output = self._forward(transformer, noisy, timesteps, captions)
        clean = self.scheduler.get_velocity(output.float(), noisy.float(), timesteps)  # v -> predicted x0
        weights = 1.0 / (1.0 - self.scheduler.alphas_cumprod.to(latents.device)[timesteps])
        error = (clean - latents.float()) ** 2
        return weights * error.mean(dim=tuple(range(1, latents.ndim)))

    def _forward(
        self, transformer: Any, noisy: torch.Tensor, timesteps: torch.Tensor, captions: Captions, **extra: Any
    ) -> torch.Tensor:
        rotary = None
        if transformer.config.use_rotary_positional_embeddings:
            rotary = self.pipe._prepare_rotary_positional_embeddings(
                int(self.hp["height"]), int(self.hp["width"]), noisy.shape[1], noisy.device
            )
        return transformer(
            hidden_states=noisy.to(transformer.dtype),
            encoder_hidden_states=captions[0],
            timestep=timesteps,
            image_rotary_emb=rotary,
            return_dict=False,
            **extra,
        )[0]
