"""Textual inversion: learn the embedding of a new token (one or a few vectors); nothing else trains.

Run: `omnitune train plan.json` with ``models[].recipe: image_textual_inversion``. Stable Diffusion
1.x/2.x (one CLIP text encoder). Output: ``learned_embeds.safetensors`` for
``pipeline.load_textual_inversion``. The loop is the shared hand-written one (diffusers ships none).
"""

from __future__ import annotations

import random
from typing import Any

import torch
from safetensors.torch import save_file

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.image.data import Row
from omnitune.recipes.image.export import write_summary
from omnitune.recipes.image.loop import LoopSpec, run_loop
from omnitune.recipes.image.optim import build_lr_scheduler, build_optimizer, resolve_total_steps
from omnitune.recipes.image.session import (
    caption_loss,
    eval_indices,
    every_n_steps_sampler,
    fixed_eval_loss,
    save_samples,
    start_run,
)
from omnitune.types import Method, Modality

OBJECT_TEMPLATES = [
    "a photo of a {}",
    "a rendering of a {}",
    "a close-up photo of a {}",
    "a good photo of a {}",
]
STYLE_TEMPLATES = [
    "a painting in the style of {}",
    "a rendering in the style of {}",
    "a picture in the style of {}",
]


def add_placeholder(pipe: Any, token: str, initializer: str, num_vectors: int) -> list[int]:
    """Add ``token`` (``token_1``… for more vectors) initialised from ``initializer``; return the ids."""
    tokenizer, encoder = pipe.tokenizer, pipe.text_encoder
    tokens = [token] + [f"{token}_{i}" for i in range(1, num_vectors)]
    if tokenizer.add_tokens(tokens) != len(tokens):
        raise ValueError(
            f"hyperparameter placeholder_token={token!r} is already in the tokenizer; pick a new one"
        )
    init_ids = tokenizer.encode(initializer, add_special_tokens=False)
    if not init_ids:
        raise ValueError(f"hyperparameter initializer_token={initializer!r} tokenizes to nothing")
    encoder.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    new_ids = tokenizer.convert_tokens_to_ids(tokens)
    weight = encoder.get_input_embeddings().weight
    with torch.no_grad():
        weight[new_ids] = weight[init_ids].mean(dim=0)  # a multi-token word starts from its mean
    return list(new_ids)


def concept_caption(row: Row, prompt_token: str, templates: list[str], rng: random.Random) -> str:
    """The row's caption when it names the placeholder, else a random template around it."""
    text = str(row.get("text") or "")
    return text if prompt_token in text else rng.choice(templates).format(prompt_token)


class ImageTextualInversionRecipe:
    """Learn a new token's embedding from a few images of a concept (object or style)."""

    key = "image_textual_inversion"
    modality = Modality.IMAGE
    methods = frozenset({Method.TEXTUAL_INVERSION})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train only the new embedding rows; save learned_embeds.safetensors and samples."""
        run = start_run(ctx)
        if run.denoiser.family != "sd":
            raise ValueError(
                f"textual inversion here trains Stable Diffusion 1.x/2.x; {type(run.pipe).__name__} "
                "has several text encoders (use image_lora or image_dreambooth instead)"
            )
        hp = run.hp
        token = str(hp.get("placeholder_token", "<concept>"))
        num_vectors = int(hp.get("num_vectors", 1))
        new_ids = add_placeholder(run.pipe, token, str(hp.get("initializer_token", "object")), num_vectors)
        prompt_token = " ".join([token] + [f"{token}_{i}" for i in range(1, num_vectors)])
        run.pipe.text_encoder.to(torch.float32)  # the learned rows train in fp32
        embedding = run.pipe.text_encoder.get_input_embeddings().weight
        embedding.requires_grad_(True)
        original = embedding.detach().clone()
        keep = torch.ones(embedding.shape[0], dtype=torch.bool)
        keep[new_ids] = False
        templates = STYLE_TEMPLATES if hp.get("learnable_property") == "style" else OBJECT_TEMPLATES
        source = run.latent_source()
        rng = random.Random(ctx.seed)  # fixed captions per row keep the objective comparable before/after
        captions = [concept_caption(r, prompt_token, templates, rng) for r in run.rows]
        batch_loss = caption_loss(run, source.latents, captions)  # gradients reach the embeddings
        order = run.batch_order()
        total = resolve_total_steps(ctx, order.batches_per_epoch())
        optimizer = build_optimizer(
            [embedding], {**hp, "weight_decay": hp.get("weight_decay", 0.0)}, str(run.device)
        )
        sampler = every_n_steps_sampler(run, total, prompts=[templates[0].format(prompt_token)])

        def after_step(step: int) -> None:
            with torch.no_grad():  # only the placeholder rows may move
                embedding[keep] = original[keep].to(embedding.dtype)
            sampler(step)

        probe = eval_indices(run)
        before = fixed_eval_loss(run, batch_loss, probe)
        spec = LoopSpec(
            {"text_encoder.token_embedding": embedding},
            optimizer,
            build_lr_scheduler(optimizer, hp, total),
            order,
            batch_loss,
            total,
            int(hp.get("gradient_accumulation", 1)),
            float(hp.get("max_grad_norm", 0.0)),
            None,
            after_step,
            int(hp.get("save_steps", 0)),
        )
        outcome = run_loop(ctx, spec)
        if outcome.status != "completed":
            return RecipeResult(outcome.status, outcome.step)
        metrics = {"eval_loss_before": before, "eval_loss_after": fixed_eval_loss(run, batch_loss, probe)}
        ctx.output_dir.mkdir(parents=True, exist_ok=True)
        path = ctx.output_dir / "learned_embeds.safetensors"
        save_file({token: embedding[new_ids].detach().cpu().contiguous()}, str(path))
        samples = save_samples(run, outcome.step, [templates[0].format(prompt_token)])
        ctx.events.emit("evaluation", **metrics)
        write_summary(
            ctx.output_dir,
            {
                "method": "textual_inversion",
                "placeholder_token": token,
                "num_vectors": num_vectors,
                "steps": outcome.step,
                **metrics,
                "files": {"embeddings": str(path)},
                "samples": [str(p) for p in samples],
            },
        )
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)
