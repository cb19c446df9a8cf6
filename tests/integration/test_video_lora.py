"""video_lora: a LoRA on a tiny 2-layer Wan transformer learns its clips; pause/resume; LoRA reloads; MP4."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_helpers import StopAfter, make_ctx, one_thread, write_frames, write_prepared  # noqa: F401

from omnitune.recipes.video.lora import VideoLoraRecipe
from omnitune.types import DataFamily, Method, Modality

pytestmark = pytest.mark.usefixtures("one_thread")

HP = {
    "learning_rate": 1e-2,
    "batch_size": 2,
    "max_steps": 16,
    "num_frames": 9,
    "height": 16,
    "width": 16,
    "max_sequence_length": 16,
    "sample_steps": 2,
    "sample_guidance": 1.0,
    "lora_r": 4,
    "fps": 8,
}


def _clips(root: Path, size: int = 16, all_moving: bool = False) -> Path:
    """Three 9-frame captioned clips of one colour each (some, or all, with a moving square)."""
    colours = {"a red clip": (200, 30, 30), "a blue clip": (30, 30, 200), "a green clip": (30, 200, 30)}
    rows = [
        {
            "video": write_frames(
                root / "videos" / f"{i:04d}", 9, size, rgb, moving=all_moving or i % 2 == 0
            ),
            "text": text,
            "fps": 8,
            "num_frames": 9,
        }
        for i, (text, rgb) in enumerate(colours.items())
    ]
    return write_prepared(root, Modality.VIDEO, DataFamily.VIDEO, rows)


@pytest.mark.slow
def test_video_lora_trains_pauses_resumes_and_reloads(tmp_path: Path) -> None:
    import av
    from diffusers import WanPipeline

    data = _clips(tmp_path / "data")
    ctx, _ = make_ctx(
        tmp_path, data, recipe="video_lora", method=Method.LORA, hyperparameters=HP, control=StopAfter(5)
    )
    paused = VideoLoraRecipe().run(ctx)
    assert paused.status == "paused" and paused.step == 5
    ctx, events = make_ctx(
        tmp_path,
        data,
        recipe="video_lora",
        method=Method.LORA,
        hyperparameters=HP,
        resume_from=ctx.checkpoints_dir / "step-00000005",
    )
    result = VideoLoraRecipe().run(ctx)
    assert result.status == "completed" and result.step == 16
    assert events.named("metrics")[0]["step"] == 6
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]

    with av.open(str(ctx.output_dir / "sample.mp4")) as container:
        assert len(list(container.decode(video=0))) == 9
    pipe = WanPipeline.from_pretrained(ctx.output_dir / "base")
    pipe.load_lora_weights(ctx.output_dir)
    assert any("lora" in name for name, _ in pipe.transformer.named_parameters())
    video = pipe(
        "a red clip",
        num_frames=5,
        height=16,
        width=16,
        num_inference_steps=1,
        guidance_scale=1.0,
        max_sequence_length=16,
        output_type="np",
    ).frames
    assert video.shape == (1, 5, 16, 16, 3)


@pytest.mark.slow
def test_cogvideox_lora_trains_and_reloads(tmp_path: Path) -> None:
    from diffusers import CogVideoXPipeline

    data = _clips(tmp_path / "data")
    hp = HP | {"max_steps": 8}
    ctx, _ = make_ctx(
        tmp_path,
        data,
        recipe="video_lora",
        method=Method.LORA,
        hyperparameters=hp,
        from_config={"family": "cogvideox"},
    )
    result = VideoLoraRecipe().run(ctx)
    assert result.status == "completed" and result.step == 8
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]
    assert (ctx.output_dir / "sample.mp4").stat().st_size > 0
    pipe = CogVideoXPipeline.from_pretrained(ctx.output_dir / "base")
    pipe.load_lora_weights(ctx.output_dir)
    assert any("lora" in name for name, _ in pipe.transformer.named_parameters())


@pytest.mark.slow
def test_ltx_video_lora_trains_and_reloads(tmp_path: Path) -> None:
    from diffusers import LTXPipeline

    data = _clips(tmp_path / "data")
    hp = HP | {"max_steps": 8, "height": 32, "width": 32}
    ctx, _ = make_ctx(
        tmp_path,
        data,
        recipe="video_lora",
        method=Method.LORA,
        hyperparameters=hp,
        from_config={"family": "ltx"},
    )
    result = VideoLoraRecipe().run(ctx)
    assert result.status == "completed" and result.step == 8
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]
    assert (ctx.output_dir / "sample.mp4").stat().st_size > 0
    pipe = LTXPipeline.from_pretrained(ctx.output_dir / "base")
    pipe.load_lora_weights(ctx.output_dir)
    assert any("lora" in name for name, _ in pipe.transformer.named_parameters())


@pytest.mark.slow
def test_hunyuan_video_lora_trains_and_reloads(tmp_path: Path) -> None:
    from diffusers import HunyuanVideoPipeline

    data = _clips(tmp_path / "data")
    hp = HP | {"max_steps": 8}
    ctx, _ = make_ctx(
        tmp_path,
        data,
        recipe="video_lora",
        method=Method.LORA,
        hyperparameters=hp,
        from_config={"family": "hunyuan"},
    )
    result = VideoLoraRecipe().run(ctx)
    assert result.status == "completed" and result.step == 8
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]
    assert (ctx.output_dir / "sample.mp4").stat().st_size > 0
    pipe = HunyuanVideoPipeline.from_pretrained(ctx.output_dir / "base")
    pipe.load_lora_weights(ctx.output_dir)
    assert any("lora" in name for name, _ in pipe.transformer.named_parameters())
