"""ControlNet: learn to steer a frozen Stable Diffusion UNet with paired conditioning images.

Run: `omnitune train plan.json` with ``models[].recipe: image_controlnet``. Rows need
``conditioning_file_name`` (edges, depth, pose …) beside ``file_name`` and ``text``. The ControlNet
starts as a copy of the UNet's encoder (``ControlNetModel.from_unet``) with zero convolutions, so it
changes nothing before training. The loop is the shared hand-written one (diffusers ships none).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.image.export import write_summary
from omnitune.recipes.image.loop import LoopSpec, run_loop
from omnitune.recipes.image.objectives import per_sample_loss
from omnitune.recipes.image.optim import build_lr_scheduler, build_optimizer, resolve_total_steps
from omnitune.recipes.image.session import (
    DiffusionRun,
    eval_indices,
    fixed_eval_loss,
    isolated_rng,
    start_run,
)
from omnitune.types import Method, Modality

EMBEDDING_CHANNELS = (16, 32, 96, 256)


def make_controlnet(pipe: Any) -> Any:
    """A ControlNet copied from the UNet; its conditioning encoder downsamples as much as the VAE does."""
    from diffusers import ControlNetModel

    depth = int(math.log2(pipe.vae_scale_factor)) + 1
    channels = EMBEDDING_CHANNELS[:depth] if depth <= len(EMBEDDING_CHANNELS) else EMBEDDING_CHANNELS
    return ControlNetModel.from_unet(pipe.unet, conditioning_embedding_out_channels=channels)


def require_conditioning(run: DiffusionRun) -> None:
    """Every row must name its conditioning image."""
    for row in run.rows:
        if not row.get("conditioning_file_name"):
            raise ValueError(
                f"{run.ctx.data_dir}/train.jsonl:{row.get('_line')}: no conditioning_file_name; "
                "ControlNet training needs a conditioning image (edges, depth …) per row"
            )


def controlnet_loss(run: DiffusionRun, controlnet: Any, source: Any, captions: list[str]) -> Any:
    """Denoising loss of the frozen UNet fed the ControlNet's residuals."""

    def batch_loss(indices: list[int]) -> torch.Tensor:
        text = run.denoiser.encode_text([captions[i] for i in indices], run.device)["encoder_hidden_states"]
        batch = run.noised(source.latents(indices))
        control = source.pixels(indices, key="conditioning_file_name", normalize=False)
        # The ControlNet trains in fp32; a half-precision UNet gets its residuals cast down.
        unet_dtype = run.pipe.unet.dtype
        down, mid = controlnet(
            batch.noisy.float(),
            batch.timesteps,
            encoder_hidden_states=text.float(),
            controlnet_cond=control.float(),
            return_dict=False,
        )
        prediction = run.pipe.unet(
            batch.noisy.to(unet_dtype),
            batch.timesteps,
            text.to(unet_dtype),
            down_block_additional_residuals=[r.to(unet_dtype) for r in down],
            mid_block_additional_residual=mid.to(unet_dtype),
        ).sample
        return per_sample_loss(prediction, batch).mean()

    return batch_loss


def controlnet_pipeline(run: DiffusionRun, controlnet: Any) -> Any:
    """The base components plus the ControlNet, for samples."""
    from diffusers import StableDiffusionControlNetPipeline

    pipe: Any = StableDiffusionControlNetPipeline(**run.pipe.components, controlnet=controlnet)
    pipe.set_progress_bar_config(disable=True)
    return pipe


class ImageControlNetRecipe:
    """Train a ControlNet for a Stable Diffusion 1.x/2.x UNet on (image, conditioning, caption) rows."""

    key = "image_controlnet"
    modality = Modality.IMAGE
    methods = frozenset({Method.CONTROLNET})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train the ControlNet; save it with ``save_pretrained`` and a conditioned sample."""
        run = start_run(ctx)
        if run.denoiser.family != "sd":
            raise ValueError(
                f"image_controlnet trains ControlNets for Stable Diffusion 1.x/2.x UNets, not "
                f"{type(run.pipe).__name__}"
            )
        require_conditioning(run)
        controlnet = make_controlnet(run.pipe).to(run.device, torch.float32)
        controlnet.train()
        if run.hp.get("gradient_checkpointing", False):
            controlnet.enable_gradient_checkpointing()
        trainable = dict(controlnet.named_parameters())
        source = run.latent_source()
        batch_loss = controlnet_loss(run, controlnet, source, [str(r.get("text") or "") for r in run.rows])
        order = run.batch_order()
        total = resolve_total_steps(ctx, order.batches_per_epoch())
        optimizer = build_optimizer(list(trainable.values()), run.hp, str(run.device))
        probe = eval_indices(run)
        before = fixed_eval_loss(run, batch_loss, probe)
        spec = LoopSpec(
            trainable,
            optimizer,
            build_lr_scheduler(optimizer, run.hp, total),
            order,
            batch_loss,
            total,
            int(run.hp.get("gradient_accumulation", 1)),
            float(run.hp.get("max_grad_norm", 1.0)),
            save_steps=int(run.hp.get("save_steps", 0)),
        )
        outcome = run_loop(ctx, spec)
        if outcome.status != "completed":
            return RecipeResult(outcome.status, outcome.step)
        metrics = {"eval_loss_before": before, "eval_loss_after": fixed_eval_loss(run, batch_loss, probe)}
        controlnet.eval()
        controlnet.save_pretrained(ctx.output_dir / "controlnet")
        sample = save_conditioned_sample(run, controlnet, outcome.step)
        ctx.events.emit("evaluation", **metrics)
        write_summary(
            ctx.output_dir,
            {
                "method": "controlnet",
                "steps": outcome.step,
                **metrics,
                "files": {"controlnet": str(ctx.output_dir / "controlnet")},
                "samples": [str(sample)],
            },
        )
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def save_conditioned_sample(run: DiffusionRun, controlnet: Any, step: int) -> Any:
    """Generate from the first row's caption and conditioning image; save and announce it."""
    from omnitune.data.image import load_image_rgb

    row = run.rows[0]
    size = run.resolution
    control = load_image_rgb(run.ctx.data_dir / row["conditioning_file_name"], (size, size))
    out_dir = run.ctx.output_dir / "samples"
    out_dir.mkdir(parents=True, exist_ok=True)
    with isolated_rng(run.device), torch.no_grad():
        generator = torch.Generator(device="cpu").manual_seed(run.ctx.seed)
        image = controlnet_pipeline(run, controlnet)(
            str(row.get("text") or ""),
            image=control,
            height=size,
            width=size,
            generator=generator,
            num_inference_steps=int(run.hp.get("validation_steps_inference", 20)),
        ).images[0]
    path = out_dir / f"step-{step:08d}-control.png"
    image.save(path)
    run.ctx.events.emit("sample", path=str(path), step=step, prompt=row.get("text"))
    return path
