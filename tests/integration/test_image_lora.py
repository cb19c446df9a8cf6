"""image_lora: LoRA on a tiny SD UNet trains, saves diffusers + kohya files, reloads and generates."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch
from image_helpers import (
    TINY_HP,
    StopAfter,
    captioned_rows,
    make_context,
    save_tiny_pipeline,
    write_image_dataset,
)

from omnitune.types import Method

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("image-lora")
    return save_tiny_pipeline(root / "tiny-sd"), write_image_dataset(root / "data", captioned_rows(4))


def _generate(pipe, prompt: str = "red stripes") -> np.ndarray:
    generator = torch.Generator().manual_seed(0)
    return pipe(
        prompt, num_inference_steps=2, height=32, width=32, generator=generator, output_type="np"
    ).images[0]


def test_lora_trains_saves_and_reloads(tmp_path: Path, assets: tuple[Path, Path]) -> None:
    from diffusers import StableDiffusionPipeline

    from omnitune.recipes.registry import get_recipe

    base, data = assets
    hp = {**TINY_HP, "validation_every": 4, "learning_rate": 3e-3, "use_ema": False}
    ctx, events = make_context(tmp_path, base, data, "image_lora", Method.LORA, hp, max_steps=12)
    started = time.perf_counter()
    result = get_recipe("image_lora").run(ctx)
    print(f"image_lora wall time: {time.perf_counter() - started:.1f}s")
    assert result.status == "completed" and result.step == 12
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]
    metrics = events.named("metrics")
    assert len(metrics) == 12 and {"loss", "lr", "samples_per_s", "eta_s"} <= set(metrics[0])
    samples = events.named("sample")
    assert [s["step"] for s in samples] == [4, 8, 12] and all(Path(s["path"]).is_file() for s in samples)
    out = ctx.output_dir
    assert (out / "pytorch_lora_weights.safetensors").is_file() and (
        out / "kohya/lora_kohya.safetensors"
    ).is_file()

    pipe = StableDiffusionPipeline.from_pretrained(base)
    pipe.set_progress_bar_config(disable=True)
    before = _generate(pipe)
    pipe.load_lora_weights(out)
    with_lora = _generate(pipe)
    assert np.abs(with_lora - before).max() > 1e-3
    kohya = StableDiffusionPipeline.from_pretrained(base)
    kohya.set_progress_bar_config(disable=True)
    kohya.load_lora_weights(out / "kohya", weight_name="lora_kohya.safetensors")
    np.testing.assert_allclose(_generate(kohya), with_lora, atol=1e-4)


def test_lora_pause_and_resume_is_exact(tmp_path: Path, assets: tuple[Path, Path]) -> None:
    from safetensors.torch import load_file

    from omnitune.recipes.checkpointing import latest_checkpoint
    from omnitune.recipes.image.lora import ImageLoraRecipe

    base, data = assets
    hp = {**TINY_HP, "use_ema": True, "ema_decay": 0.9, "lr_scheduler": "cosine", "lora_dropout": 0.1}
    straight_ctx, _ = make_context(tmp_path / "a", base, data, "image_lora", Method.LORA, hp, max_steps=6)
    assert ImageLoraRecipe().run(straight_ctx).status == "completed"

    paused_ctx, _ = make_context(
        tmp_path / "b", base, data, "image_lora", Method.LORA, hp, max_steps=6, stop=StopAfter(3, "pause")
    )
    paused = ImageLoraRecipe().run(paused_ctx)
    assert (paused.status, paused.step) == ("paused", 3)
    checkpoint = latest_checkpoint(paused_ctx.checkpoints_dir)
    assert checkpoint is not None and checkpoint.name == "step-00000003"
    resumed_ctx, _ = make_context(
        tmp_path / "b",
        base,
        data,
        "image_lora",
        Method.LORA,
        hp,
        max_steps=6,
        resume_from=checkpoint,
        run_name="resumed",
    )
    resumed = ImageLoraRecipe().run(resumed_ctx)
    assert (resumed.status, resumed.step) == ("completed", 6)

    a = load_file(str(straight_ctx.output_dir / "pytorch_lora_weights.safetensors"))
    b = load_file(str(resumed_ctx.output_dir / "pytorch_lora_weights.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_cancel_stops_without_checkpoint_and_8bit_adam_needs_cuda(
    tmp_path: Path, assets: tuple[Path, Path]
) -> None:
    from omnitune.recipes.image.lora import ImageLoraRecipe

    base, data = assets
    ctx, _ = make_context(
        tmp_path, base, data, "image_lora", Method.LORA, TINY_HP, max_steps=5, stop=StopAfter(2, "cancel")
    )
    result = ImageLoraRecipe().run(ctx)
    assert (result.status, result.step) == ("cancelled", 2) and not ctx.checkpoints_dir.exists()
    ctx, _ = make_context(
        tmp_path, base, data, "image_lora", Method.LORA, {**TINY_HP, "use_8bit_adam": True}, max_steps=1
    )
    with pytest.raises(ValueError, match="CUDA"):
        ImageLoraRecipe().run(ctx)


def test_catalog_tiny_sd_full_finetune_and_loha(tmp_path: Path, assets: tuple[Path, Path]) -> None:
    """The catalog from-config entry builds offline; full fine-tune saves a pipeline, LoHa an adapter."""
    from diffusers import StableDiffusionPipeline
    from safetensors.torch import load_file

    from omnitune.recipes.image.export import load_peft_adapter
    from omnitune.recipes.image.lora import ImageLoraRecipe

    _, data = assets
    hp = {k: v for k, v in TINY_HP.items() if k != "resolution"}  # the tiny model's native 32 px
    hp["gradient_checkpointing"] = True
    ctx, _ = make_context(
        tmp_path, "omnitune/tiny-sd", data, "image_lora", Method.FULL_FINETUNE, hp, max_steps=3
    )
    result = ImageLoraRecipe().run(ctx)
    assert result.status == "completed"
    full = StableDiffusionPipeline.from_pretrained(ctx.output_dir / "pipeline")
    assert full.unet.config.block_out_channels == [32, 64]

    hp = {**TINY_HP, "lycoris_algo": "loha", "learning_rate": 3e-3}
    ctx, _ = make_context(
        tmp_path, "omnitune/tiny-sd", data, "image_lora", Method.LYCORIS, hp, max_steps=3, run_name="loha"
    )
    result = ImageLoraRecipe().run(ctx)
    assert result.status == "completed"
    adapter = ctx.output_dir / "denoiser_adapter"
    saved = load_file(str(adapter / "adapter_model.safetensors"))
    assert any("hada_w1_a" in key for key in saved)
    load_peft_adapter(full.unet, adapter)
    assert any("hada_w1_a" in name for name, _ in full.unet.named_parameters())
