"""Text-to-video and image-to-video LoRA on a diffusers video transformer (Wan 2.1, LTX-Video, CogVideoX,
HunyuanVideo), cached latents.

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: video_lora`.
Data: family `video`, records {"video": frames folder or file, "text": caption, ...}. Each clip is
read as ``num_frames`` frames at ``height`` x ``width``, encoded once with the model's own VAE
(latent caching; frozen) and its caption once with the text encoder; only LoRA layers on the
transformer's attention train, with the model's own objective (``objectives.py``: rectified flow
for Wan and LTX-Video, v-prediction for CogVideoX). An image-to-video pipeline conditions on each
clip's first frame as its own pipeline does (``image_conditioning.py``) and samples from the first
training clip's first frame.
The optimisation loop is the image recipes' shared one (diffusers ships no training loop).
Outputs diffusers-format `pytorch_lora_weights.safetensors` (``pipe.load_lora_weights``) and
a sample `sample.mp4` (PyAV) generated after training.
"""

from __future__ import annotations

from typing import Any

import torch

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.image.data import BatchOrder
from omnitune.recipes.image.loop import LoopSpec, run_loop
from omnitune.recipes.image.optim import build_lr_scheduler, build_optimizer, pick_device, resolve_total_steps
from omnitune.recipes.media_inputs import require, train_and_heldout, write_mp4
from omnitune.recipes.media_training import BASE_DIR, hyperparameters, resolve_model
from omnitune.recipes.video.pipelines import VideoLatents, load_video_pipeline
from omnitune.recipes.video.tiny_models import tiny_video_defaults
from omnitune.types import Method, Modality

DEFAULTS: dict[str, Any] = {
    "learning_rate": 1e-4,
    "batch_size": 1,
    "epochs": 10,
    "num_frames": 33,  # Wan's VAE compresses time 4x: use 4k + 1 frames
    "height": 480,
    "width": 832,
    "fps": 16,
    "max_sequence_length": 226,
    "lora_r": 16,
    "lora_alpha": 16,
    "flow_shift": 3.0,
    "weighting_scheme": "logit_normal",
    "sample_prompt": None,  # default: the first training caption
    "sample_steps": 30,
    "sample_guidance": 5.0,
    "guidance": 6.0,  # HunyuanVideo's distilled guidance scale, trained at the value it samples at
    "prompt_crop_start": None,  # HunyuanVideo: None keeps the pipeline's template; "auto" recounts it
}
LORA_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]


class VideoLoraRecipe:
    """LoRA on a text-to-video transformer, trained on cached VAE latents with flow matching."""

    key = "video_lora"
    modality = Modality.VIDEO
    methods = frozenset({Method.LORA})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Cache latents, train the LoRA, report held-out flow loss before/after, save LoRA + sample."""
        from peft import LoraConfig

        source = resolve_model(ctx)
        hp = hyperparameters(
            ctx, DEFAULTS | (tiny_video_defaults(source.tiny) if source.tiny is not None else {})
        )
        torch.manual_seed(ctx.seed)
        device = pick_device(ctx)
        train, held = train_and_heldout(ctx.data_dir, ctx.seed)
        require(train + held, ("video", "text"), "video_lora")
        video = load_video_pipeline(ctx, hp, device)
        cache = VideoLatents(video, ctx.data_dir, hp)
        train_set, held_set = cache.encode(train), cache.encode(held)
        objective = video.objective
        before = objective.fixed_loss(video.transformer, *held_set, seed=ctx.seed)
        video.transformer.add_adapter(
            LoraConfig(
                r=int(hp["lora_r"]),
                lora_alpha=int(hp["lora_alpha"]),
                init_lora_weights=True,
                target_modules=LORA_TARGETS,
            )
        )
        trainable = {n: p for n, p in video.transformer.named_parameters() if p.requires_grad}
        for param in trainable.values():
            param.data = param.data.float()  # LoRA weights train in fp32 even when the base is bf16
        order = BatchOrder(
            bucket_of=[(0, 0)] * len(train_set[0]), batch_size=int(hp["batch_size"]), seed=ctx.seed
        )
        total = resolve_total_steps(ctx, order.batches_per_epoch())
        optimizer = build_optimizer(list(trainable.values()), hp, str(device))
        spec = LoopSpec(
            trainable,
            optimizer,
            build_lr_scheduler(optimizer, hp, total),
            order,
            lambda rows: objective.loss(
                video.transformer, train_set[0][rows], tuple(c[rows] for c in train_set[1])
            ),
            total,
            int(hp.get("gradient_accumulation", 1)),
            save_steps=int(hp.get("save_steps", 0)),
        )
        outcome = run_loop(ctx, spec)
        if outcome.status != "completed":
            return RecipeResult(outcome.status, outcome.step)
        after = objective.fixed_loss(video.transformer, *held_set, seed=ctx.seed)
        video.save_lora(ctx.output_dir)
        image = cache.first_frame(train[0]) if video.objective.image_conditioned else None
        sample = self._sample(ctx, video, hp, str(hp["sample_prompt"] or train[0]["text"]), image)
        if video.from_config:  # keep the random-weight base so the LoRA reloads offline
            video.save_base(ctx.output_dir / BASE_DIR)
        metrics = {
            "eval_loss_before": before,
            "eval_loss_after": after,
            "initial_loss": outcome.losses[0],
            "final_loss": outcome.losses[-1],
        }
        ctx.events.emit("evaluation", **metrics)
        ctx.events.emit("sample", path=str(sample), kind="video")
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)

    def _sample(self, ctx: RecipeContext, video: Any, hp: dict[str, Any], prompt: str, image: Any) -> Any:
        steps, guidance = int(hp["sample_steps"]), float(hp["sample_guidance"])
        frames = video.generate(prompt, steps, guidance, ctx.seed, image=image)
        return write_mp4(frames, ctx.output_dir / "sample.mp4", int(hp["fps"]))
