"""What every text-to-image recipe sets up the same way: seed, pipeline, data, latents, schedule.

Also the validation sampler (images saved under the job's output, announced as ``sample`` events)
and the end-of-run summary, so each recipe file only says what is particular to its method.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from omnitune.recipes.base import RecipeContext
from omnitune.recipes.image.data import BatchOrder, Row, assign_buckets, image_size, read_rows
from omnitune.recipes.image.denoisers import Denoiser, denoiser_for
from omnitune.recipes.image.latents import LatentSource
from omnitune.recipes.image.models import load_diffusion_pipeline
from omnitune.recipes.image.objectives import (
    NoisedBatch,
    ddpm_batch,
    flow_batch,
    per_sample_loss,
    training_scheduler,
)
from omnitune.recipes.image.optim import pick_device, weight_dtype


@dataclass
class DiffusionRun:
    """A loaded pipeline with its data, ready for a recipe to choose what trains."""

    ctx: RecipeContext
    pipe: Any
    denoiser: Denoiser
    scheduler: Any
    rows: list[Row]
    buckets: list[tuple[int, int]]
    device: torch.device

    @property
    def hp(self) -> dict[str, Any]:
        """The plan's hyperparameters."""
        return self.ctx.hyperparameters

    @property
    def resolution(self) -> int:
        """``resolution`` from the plan, else the base model's native size."""
        return int(self.hp.get("resolution") or native_resolution(self.pipe))

    def noised(self, latents: torch.Tensor) -> NoisedBatch:
        """Noise a batch with the model's objective (DDPM + min-SNR, or flow matching)."""
        if self.denoiser.flow_matching:
            return flow_batch(
                self.scheduler,
                latents,
                str(self.hp.get("weighting_scheme", "logit_normal")),
                logit_mean=float(self.hp.get("logit_mean", 0.0)),
                logit_std=float(self.hp.get("logit_std", 1.0)),
                mode_scale=float(self.hp.get("mode_scale", 1.29)),
            )
        gamma = self.hp.get("snr_gamma", 5.0)
        return ddpm_batch(self.scheduler, latents, float(gamma) if gamma else None)

    def latent_source(
        self, rows: list[Row] | None = None, buckets: list[tuple[int, int]] | None = None
    ) -> LatentSource:
        """Latents for ``rows`` (the training rows by default) through the frozen VAE."""
        return LatentSource(
            self.pipe.vae,
            rows if rows is not None else self.rows,
            self.ctx.data_dir,
            buckets if buckets is not None else self.buckets,
            self.device,
            self.pipe.vae.dtype,
            bool(self.hp.get("cache_latents", True)),
        )

    def batch_order(self, buckets: list[tuple[int, int]] | None = None) -> BatchOrder:
        """The resumable, bucketed batch order over the training rows."""
        return BatchOrder(
            buckets if buckets is not None else self.buckets, int(self.hp.get("batch_size", 1)), self.ctx.seed
        )


def start_run(ctx: RecipeContext, rows: list[Row] | None = None) -> DiffusionRun:
    """Seed, load the base pipeline frozen on the job's device, read and bucket the data."""
    hp, device = ctx.hyperparameters, pick_device(ctx)
    if hp.get("num_threads"):
        torch.set_num_threads(int(hp["num_threads"]))  # busy shared CPUs train faster single-threaded
    torch.manual_seed(ctx.seed)
    pipe = load_diffusion_pipeline(ctx, weight_dtype(hp, device))
    pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    for module in pipe.components.values():
        if isinstance(module, torch.nn.Module):
            module.requires_grad_(False)
    denoiser = denoiser_for(pipe)
    scheduler = training_scheduler(pipe, denoiser.flow_matching, hp.get("prediction_type"))
    rows = rows if rows is not None else read_rows(ctx.data_dir)
    buckets = bucket_rows(rows, ctx.data_dir, hp, pipe)
    return DiffusionRun(ctx, pipe, denoiser, scheduler, rows, buckets, device)


def bucket_rows(rows: list[Row], data_dir: Path, hp: dict[str, Any], pipe: Any) -> list[tuple[int, int]]:
    """Each row's training size: aspect-ratio buckets (``aspect_buckets``) around ``resolution``."""
    resolution = int(hp.get("resolution") or native_resolution(pipe))
    divisibility = pipe.vae_scale_factor * 2 ** (_downsamplings(pipe))
    sizes = [image_size(Path(data_dir) / row["file_name"]) for row in rows]
    return assign_buckets(sizes, resolution, divisibility, bool(hp.get("aspect_buckets", True)))


def native_resolution(pipe: Any) -> int:
    """The pixel size the base model was trained at (SD 1.5: 512, SDXL/SD3: 1024, tiny: 32)."""
    model = pipe.unet if hasattr(pipe, "unet") else pipe.transformer
    sample = getattr(model.config, "sample_size", None)
    return int(sample) * int(pipe.vae_scale_factor) if isinstance(sample, int) else 1024


def _downsamplings(pipe: Any) -> int:
    if hasattr(pipe, "unet"):
        return len(pipe.unet.config.block_out_channels) - 1
    return 1  # SD3/Flux transformers patchify latents 2x2


def validation_prompts(run: DiffusionRun) -> list[str]:
    """``validation_prompts`` from the plan, else the first training caption."""
    prompts = run.hp.get("validation_prompts") or [run.rows[0].get("text") or "a photo"]
    return [str(p) for p in prompts]


def save_samples(
    run: DiffusionRun, step: int, prompts: list[str], pipe: Any = None, tag: str = ""
) -> list[Path]:
    """Generate one image per prompt (fixed seed, global RNG untouched), save and announce each."""
    pipe = pipe or run.pipe
    out_dir = run.ctx.output_dir / "samples"
    out_dir.mkdir(parents=True, exist_ok=True)
    size = run.resolution
    paths = []
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        for i, prompt in enumerate(prompts):
            generator = torch.Generator(device="cpu").manual_seed(run.ctx.seed + i)
            image = pipe(
                prompt,
                num_inference_steps=int(run.hp.get("validation_steps_inference", 20)),
                height=size,
                width=size,
                generator=generator,
                **_guidance(run),
            ).images[0]
            path = out_dir / f"step-{step:08d}{tag}-{i}.png"
            image.save(path)
            run.ctx.events.emit("sample", path=str(path), step=step, prompt=prompt)
            paths.append(path)
    return paths


def _guidance(run: DiffusionRun) -> dict[str, Any]:
    scale = run.hp.get("validation_guidance_scale")
    return {} if scale is None else {"guidance_scale": float(scale)}


def every_n_steps_sampler(
    run: DiffusionRun, total_steps: int, pipe: Any = None, prompts: list[str] | None = None
) -> Any:
    """An ``after_step`` hook that samples every ``validation_every`` steps (0 = only at the end)."""
    every = int(run.hp.get("validation_every", 0))
    prompts = run.hp.get("validation_prompts") or prompts or validation_prompts(run)

    def after_step(step: int) -> None:
        if every and step % every == 0 and step < total_steps:
            was_training = run.denoiser.model.training
            run.denoiser.model.eval()
            save_samples(run, step, prompts, pipe)
            run.denoiser.model.train(was_training)

    return after_step


def isolated_rng(device: torch.device) -> Any:
    """A context in which random draws leave the training RNG streams untouched."""
    devices = [device.index or 0] if device.type == "cuda" else []
    return torch.random.fork_rng(devices=devices)


def fixed_eval_loss(run: DiffusionRun, batch_loss: Any, indices: list[int], repeats: int = 4) -> float:
    """Loss on a fixed batch with fixed noise and timesteps, so before/after numbers are comparable."""
    model = run.denoiser.model
    was_training = model.training
    model.eval()
    total = 0.0
    with isolated_rng(run.device), torch.no_grad():
        for r in range(repeats):
            torch.manual_seed(run.ctx.seed * 1000 + r)
            total += float(batch_loss(indices))
    model.train(was_training)
    return total / repeats


def eval_indices(run: DiffusionRun, limit: int = 4) -> list[int]:
    """Up to ``limit`` training rows that share the first row's bucket (one batch, one size)."""
    first = run.buckets[0]
    return [i for i, bucket in enumerate(run.buckets) if bucket == first][:limit]


def caption_loss(run: DiffusionRun, latents_for: Any, captions: list[str]) -> Any:
    """A batch-loss function: denoise the rows' latents conditioned on their captions."""

    def batch_loss(indices: list[int]) -> torch.Tensor:
        latents = latents_for(indices)
        cond = run.denoiser.encode_text([captions[i] for i in indices], run.device)
        batch = run.noised(latents)
        prediction = run.denoiser.predict(batch.noisy, batch.timesteps, cond)
        return per_sample_loss(prediction, batch).mean()

    return batch_loss
