"""Diffusion objectives and flow-matching paths (SD3/Flux) on tiny transformers; buckets and batch order."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from omnitune.recipes.image.data import BatchOrder, PairedOrder, assign_buckets
from omnitune.recipes.image.denoisers import Denoiser
from omnitune.recipes.image.objectives import (
    ddpm_batch,
    flow_batch,
    min_snr_weights,
    per_sample_loss,
    sample_flow_sigmas,
)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)  # tiny models on a busy shared CPU run faster single-threaded


def _ddpm(prediction_type: str = "epsilon"):
    from diffusers import DDPMScheduler

    return DDPMScheduler(beta_schedule="scaled_linear", prediction_type=prediction_type)


def _flow():
    from diffusers import FlowMatchEulerDiscreteScheduler

    return FlowMatchEulerDiscreteScheduler(shift=3.0)


def test_min_snr_weights_clip_high_snr_for_epsilon_and_v_prediction() -> None:
    from diffusers.training_utils import compute_snr

    timesteps = torch.tensor([0, 50, 500, 999])
    for kind in ("epsilon", "v_prediction"):
        scheduler = _ddpm(kind)
        snr = compute_snr(scheduler, timesteps)
        weights = min_snr_weights(scheduler, timesteps, 5.0)
        expected = torch.minimum(snr, torch.full_like(snr, 5.0)) / (
            snr + 1 if kind == "v_prediction" else snr
        )
        torch.testing.assert_close(weights, expected)
        assert weights[0] < weights[-1] or kind == "v_prediction"
    assert torch.equal(min_snr_weights(_ddpm(), timesteps, None), torch.ones(4))


def test_ddpm_targets_are_noise_or_velocity() -> None:
    latents, noise, t = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8), torch.tensor([10, 700])
    eps = ddpm_batch(_ddpm(), latents, None, noise, t)
    assert torch.equal(eps.target, noise)
    scheduler = _ddpm("v_prediction")
    v = ddpm_batch(scheduler, latents, 5.0, noise, t)
    torch.testing.assert_close(v.target, scheduler.get_velocity(latents, noise, t))


@pytest.mark.parametrize("scheme", ["logit_normal", "mode", "uniform", "sigma_sqrt", "cosmap"])
def test_flow_sigmas_and_interpolation(scheme: str) -> None:
    scheduler = _flow()
    torch.manual_seed(0)
    timesteps, sigmas = sample_flow_sigmas(scheduler, 64, scheme)
    assert ((sigmas > 0) & (sigmas <= 1)).all()
    torch.testing.assert_close(timesteps, sigmas * scheduler.config.num_train_timesteps)
    latents, noise = torch.randn(3, 4, 8, 8), torch.randn(3, 4, 8, 8)
    torch.manual_seed(1)
    batch = flow_batch(scheduler, latents, scheme, noise=noise)
    s = (batch.timesteps / 1000).view(-1, 1, 1, 1)
    torch.testing.assert_close(batch.noisy, (1 - s) * latents + s * noise)
    torch.testing.assert_close(batch.target, noise - latents)
    if scheme == "sigma_sqrt":
        torch.testing.assert_close(batch.weights, (s.flatten() ** -2).float())


def _train_flow(
    denoiser: Denoiser, cond: dict[str, torch.Tensor], latents: torch.Tensor
) -> tuple[float, float]:
    """A few LoRA steps with the flow objective; loss on fixed noise/timesteps before and after."""
    from peft import LoraConfig

    model = denoiser.model
    model.requires_grad_(False)
    model.add_adapter(
        LoraConfig(r=4, lora_alpha=4, init_lora_weights="gaussian", target_modules=["to_q", "to_k", "to_v"])
    )
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-2)
    scheduler = _flow()

    def loss() -> torch.Tensor:
        batch = flow_batch(scheduler, latents)
        return per_sample_loss(denoiser.predict(batch.noisy, batch.timesteps, cond), batch).mean()

    def fixed() -> float:
        with torch.random.fork_rng(), torch.no_grad():
            torch.manual_seed(123)
            return float(loss())

    before = fixed()
    for _ in range(15):
        loss().backward()
        optimizer.step()
        optimizer.zero_grad()
    return before, fixed()


@pytest.mark.slow
def test_sd3_transformer_trains_with_flow_matching() -> None:
    from diffusers import SD3Transformer2DModel

    torch.manual_seed(0)
    transformer = SD3Transformer2DModel(
        sample_size=8,
        patch_size=2,
        in_channels=4,
        out_channels=4,
        num_layers=1,
        attention_head_dim=8,
        num_attention_heads=2,
        joint_attention_dim=16,
        caption_projection_dim=16,
        pooled_projection_dim=16,
        pos_embed_max_size=16,
    )
    denoiser = Denoiser(SimpleNamespace(transformer=transformer, vae_scale_factor=8), "sd3")
    assert denoiser.flow_matching
    cond = {"encoder_hidden_states": torch.randn(2, 5, 16), "pooled_projections": torch.randn(2, 16)}
    before, after = _train_flow(denoiser, cond, torch.randn(2, 4, 8, 8))
    assert after < before


@pytest.mark.slow
def test_flux_transformer_trains_with_packed_latents() -> None:
    from diffusers import FluxTransformer2DModel

    torch.manual_seed(0)
    transformer = FluxTransformer2DModel(
        patch_size=1,
        in_channels=16,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,
        pooled_projection_dim=32,
        axes_dims_rope=(4, 4, 8),
    )
    denoiser = Denoiser(SimpleNamespace(transformer=transformer, vae_scale_factor=8), "flux")
    cond = {
        "encoder_hidden_states": torch.randn(2, 5, 32),
        "pooled_projections": torch.randn(2, 32),
        "txt_ids": torch.zeros(5, 3),
    }
    latents = torch.randn(2, 4, 8, 8)
    assert denoiser.predict(latents, torch.tensor([500.0, 200.0]), cond).shape == latents.shape
    before, after = _train_flow(denoiser, cond, latents)
    assert after < before


def test_buckets_and_resumable_batch_order() -> None:
    buckets = assign_buckets([(512, 512), (512, 1024), (1024, 512), (500, 510)], 512, 64, True)
    assert buckets[0] == buckets[3] and buckets[1][1] > buckets[1][0] and buckets[2][0] > buckets[2][1]
    assert all(h % 64 == 0 and w % 64 == 0 for h, w in buckets)
    order = BatchOrder(buckets, batch_size=2, seed=3)
    seen = [order.next() for _ in range(7)]
    assert all(len({buckets[i] for i in batch}) == 1 for batch in seen)  # one size per batch
    first = BatchOrder(buckets, batch_size=2, seed=3)
    assert [first.next() for _ in range(3)] == seen[:3]
    resumed = BatchOrder(buckets, batch_size=2, seed=3)
    resumed.load_state_dict(first.state_dict())
    assert [resumed.next() for _ in range(4)] == seen[3:]  # the same batches, across an epoch boundary
    paired = PairedOrder(BatchOrder(buckets, 1, 0), BatchOrder([(64, 64)] * 2, 1, 1), offset=4)
    assert all(i >= 4 for i in paired.next()[1:])
