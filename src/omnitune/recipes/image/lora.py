"""Text-to-image LoRA, LyCORIS (LoHa/LoKr) or full fine-tune of the denoiser (SD 1.x/2.x, SDXL, SD3, FLUX.1).

Run: `omnitune train plan.json` with ``models[].recipe: image_lora``. The loop is hand-written
(diffusers ships no training loop in its wheel; its example scripts are not importable).
"""

from __future__ import annotations

from typing import Any

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.image.adapters import make_ema, make_trainable
from omnitune.recipes.image.export import save_lora, save_peft_adapter, write_summary
from omnitune.recipes.image.loop import LoopSpec, run_loop
from omnitune.recipes.image.optim import build_lr_scheduler, build_optimizer, resolve_total_steps
from omnitune.recipes.image.session import (
    DiffusionRun,
    caption_loss,
    eval_indices,
    every_n_steps_sampler,
    fixed_eval_loss,
    save_samples,
    start_run,
    validation_prompts,
)
from omnitune.types import Method, Modality


def save_denoiser(run: DiffusionRun, method: str) -> dict[str, Any]:
    """Write the artefact for ``method``: LoRA files, a PEFT LyCORIS adapter, or the whole pipeline."""
    out = run.ctx.output_dir
    out.mkdir(parents=True, exist_ok=True)
    if method == "lora":
        return {k: str(v) for k, v in save_lora(run.denoiser, out).items()}
    if method == "lycoris":
        return {"peft_adapter": str(save_peft_adapter(run.denoiser.model, out))}
    run.pipe.save_pretrained(out / "pipeline")
    return {"pipeline": str(out / "pipeline")}


class ImageLoraRecipe:
    """LoRA / LyCORIS / full fine-tune of a text-to-image denoiser on captioned images."""

    key = "image_lora"
    modality = Modality.IMAGE
    methods = frozenset({Method.LORA, Method.LYCORIS, Method.FULL_FINETUNE})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train on the prepared captioned images; save adapters, samples and a summary."""
        run = start_run(ctx)
        method = str(ctx.model.method)
        trainable = make_trainable(run.denoiser.model, method, run.hp)
        source = run.latent_source()
        captions = [str(row.get("text") or "") for row in run.rows]
        batch_loss = caption_loss(run, source.latents, captions)
        order = run.batch_order()
        total = resolve_total_steps(ctx, order.batches_per_epoch())
        optimizer = build_optimizer(list(trainable.values()), run.hp, str(run.device))
        probe = eval_indices(run)
        before = fixed_eval_loss(run, batch_loss, probe)
        ema = make_ema(trainable, run.hp)
        spec = LoopSpec(
            trainable,
            optimizer,
            build_lr_scheduler(optimizer, run.hp, total),
            order,
            batch_loss,
            total,
            int(run.hp.get("gradient_accumulation", 1)),
            float(run.hp.get("max_grad_norm", 1.0)),
            ema,
            every_n_steps_sampler(run, total),
            int(run.hp.get("save_steps", 0)),
        )
        outcome = run_loop(ctx, spec)
        if outcome.status != "completed":
            return RecipeResult(outcome.status, outcome.step)
        if ema is not None:
            ema.copy_to(list(trainable.values()))
        metrics = {"eval_loss_before": before, "eval_loss_after": fixed_eval_loss(run, batch_loss, probe)}
        files = save_denoiser(run, method)
        run.denoiser.model.eval()
        samples = save_samples(run, outcome.step, validation_prompts(run))
        write_summary(
            ctx.output_dir,
            {
                "method": method,
                "steps": outcome.step,
                **metrics,
                "files": files,
                "samples": [str(p) for p in samples],
            },
        )
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)
