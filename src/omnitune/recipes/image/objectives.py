"""Training objectives: DDPM noise/v-prediction with min-SNR weighting, and flow matching (SD3/Flux).

Thin over ``diffusers.training_utils`` (``compute_snr``, ``compute_density_for_timestep_sampling``,
``compute_loss_weighting_for_sd3``); each function returns per-sample losses so DreamBooth can
weight its prior-preservation half separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F


def training_scheduler(pipe: Any, flow_matching: bool, prediction_type: str | None = None) -> Any:
    """A private copy of the noise schedule for training (inference may change the pipeline's own)."""
    from diffusers import DDPMScheduler, FlowMatchEulerDiscreteScheduler

    if flow_matching:
        return FlowMatchEulerDiscreteScheduler.from_config(pipe.scheduler.config)
    scheduler = DDPMScheduler.from_config(pipe.scheduler.config)
    if prediction_type:
        scheduler.register_to_config(prediction_type=prediction_type)
    return scheduler


@dataclass
class NoisedBatch:
    """Model inputs and the regression target for one batch of clean latents."""

    noisy: torch.Tensor
    timesteps: torch.Tensor
    target: torch.Tensor
    weights: torch.Tensor  # per-sample loss weights


def ddpm_batch(
    scheduler: Any,
    latents: torch.Tensor,
    snr_gamma: float | None,
    noise: torch.Tensor | None = None,
    timesteps: torch.Tensor | None = None,
) -> NoisedBatch:
    """Noise latents at random timesteps; the target is the noise (epsilon) or the velocity."""
    noise = torch.randn_like(latents) if noise is None else noise
    if timesteps is None:
        count = scheduler.config.num_train_timesteps
        timesteps = torch.randint(0, count, (latents.shape[0],), device=latents.device).long()
    noisy = scheduler.add_noise(latents, noise, timesteps)
    kind = scheduler.config.prediction_type
    if kind == "epsilon":
        target = noise
    elif kind == "v_prediction":
        target = scheduler.get_velocity(latents, noise, timesteps)
    else:
        raise ValueError(f"prediction_type {kind!r} is not trainable here; use 'epsilon' or 'v_prediction'")
    return NoisedBatch(noisy, timesteps, target, min_snr_weights(scheduler, timesteps, snr_gamma))


def min_snr_weights(scheduler: Any, timesteps: torch.Tensor, snr_gamma: float | None) -> torch.Tensor:
    """Min-SNR-gamma weights (Hang et al. 2023): min(SNR, gamma) / SNR; / (SNR + 1) for v-prediction."""
    if not snr_gamma:
        return torch.ones(timesteps.shape[0], device=timesteps.device)
    from diffusers.training_utils import compute_snr

    snr = compute_snr(scheduler, timesteps)
    clipped = torch.clamp(snr, max=float(snr_gamma))
    if scheduler.config.prediction_type == "v_prediction":
        return clipped / (snr + 1)
    return clipped / snr


def sample_flow_sigmas(
    scheduler: Any,
    batch_size: int,
    weighting_scheme: str = "logit_normal",
    logit_mean: float = 0.0,
    logit_std: float = 1.0,
    mode_scale: float = 1.29,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Timesteps drawn with the SD3 density (logit-normal, mode or uniform) and their sigmas."""
    from diffusers.training_utils import compute_density_for_timestep_sampling

    u = compute_density_for_timestep_sampling(weighting_scheme, batch_size, logit_mean, logit_std, mode_scale)
    indices = (u * scheduler.config.num_train_timesteps).long().clamp(max=len(scheduler.timesteps) - 1)
    timesteps = scheduler.timesteps[indices].to(device)
    sigmas = scheduler.sigmas[indices].to(device)
    return timesteps, sigmas


def flow_batch(
    scheduler: Any,
    latents: torch.Tensor,
    weighting_scheme: str = "logit_normal",
    noise: torch.Tensor | None = None,
    **density: Any,
) -> NoisedBatch:
    """Rectified flow: x_t = (1 - sigma) x0 + sigma noise; the model predicts noise - x0."""
    from diffusers.training_utils import compute_loss_weighting_for_sd3

    noise = torch.randn_like(latents) if noise is None else noise
    timesteps, sigmas = sample_flow_sigmas(
        scheduler, latents.shape[0], weighting_scheme, device=latents.device, **density
    )
    s = sigmas.view(-1, 1, 1, 1).to(latents.dtype)
    noisy = (1.0 - s) * latents + s * noise
    weights = compute_loss_weighting_for_sd3(weighting_scheme, sigmas).float()
    return NoisedBatch(noisy, timesteps, noise - latents, weights)


def per_sample_loss(prediction: torch.Tensor, batch: NoisedBatch) -> torch.Tensor:
    """Weighted mean-squared error per sample (float32 for stability)."""
    mse = F.mse_loss(prediction.float(), batch.target.float(), reduction="none")
    return mse.mean(dim=tuple(range(1, mse.ndim))) * batch.weights.to(mse.device)
