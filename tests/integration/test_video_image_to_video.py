"""video_lora on image-to-video pipelines (LTX-Video, CogVideoX, Wan 2.1): conditioned on each clip's first
frame, the held-out loss falls, the LoRA reloads into the family's image-to-video pipeline, which animates
a still image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from media_helpers import make_ctx, one_thread  # noqa: F401
from PIL import Image
from test_video_lora import HP as T2V_HP
from test_video_lora import _clips as t2v_clips

from omnitune.recipes.video.lora import VideoLoraRecipe
from omnitune.types import Method

pytestmark = pytest.mark.usefixtures("one_thread")

HP = T2V_HP | {"max_steps": 8}


def _clips(root: Path) -> Path:
    return t2v_clips(root, size=32, all_moving=True)


def _train(tmp_path: Path, family: str, hp: dict[str, object]) -> tuple[object, Path]:
    from omnitune.recipes.video.pipelines import SUPPORTED

    data = _clips(tmp_path / "data")
    ctx, events = make_ctx(
        tmp_path,
        data,
        recipe="video_lora",
        method=Method.LORA,
        hyperparameters=HP | hp,
        from_config={"family": family, "image_to_video": True},
    )
    result = VideoLoraRecipe().run(ctx)
    assert result.status == "completed" and result.step == int(str((HP | hp)["max_steps"]))
    print(family, result.metrics)
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]
    assert (ctx.output_dir / "sample.mp4").stat().st_size > 0
    assert [e["kind"] for e in events.named("sample")] == ["video"]
    assert len(SUPPORTED) == 7
    return result, ctx.output_dir


def _still(size: int) -> Image.Image:
    pixels = np.zeros((size, size, 3), dtype=np.uint8)
    pixels[..., 0] = 200
    return Image.fromarray(pixels)


@pytest.mark.slow
def test_ltx_image_to_video_lora_keeps_the_first_frame_clean_and_reloads(tmp_path: Path) -> None:
    from diffusers import LTXImageToVideoPipeline

    _, out = _train(tmp_path, "ltx", {"height": 32, "width": 32})
    pipe = LTXImageToVideoPipeline.from_pretrained(out / "base")
    pipe.load_lora_weights(out)
    assert any("lora" in name for name, _ in pipe.transformer.named_parameters())
    video = pipe(
        image=_still(32),
        prompt="a red clip",
        num_frames=9,
        height=32,
        width=32,
        num_inference_steps=1,
        guidance_scale=1.0,
        max_sequence_length=16,
        output_type="np",
    ).frames
    assert video.shape == (1, 9, 32, 32, 3)


@pytest.mark.slow
def test_cogvideox_image_to_video_lora_trains_and_reloads(tmp_path: Path) -> None:
    from diffusers import CogVideoXImageToVideoPipeline

    _, out = _train(tmp_path, "cogvideox", {})
    pipe = CogVideoXImageToVideoPipeline.from_pretrained(out / "base")
    assert pipe.transformer.config.in_channels == 2 * pipe.vae.config.latent_channels
    pipe.load_lora_weights(out)
    assert any("lora" in name for name, _ in pipe.transformer.named_parameters())


@pytest.mark.slow
def test_wan_image_to_video_lora_uses_image_features_and_reloads(tmp_path: Path) -> None:
    from diffusers import WanImageToVideoPipeline

    _, out = _train(tmp_path, "wan", {})
    pipe = WanImageToVideoPipeline.from_pretrained(out / "base")
    assert pipe.transformer.config.in_channels == 2 * pipe.vae.config.z_dim + 4
    pipe.load_lora_weights(out)
    assert any("lora" in name for name, _ in pipe.transformer.named_parameters())
    video = pipe(
        image=_still(16),
        prompt="a red clip",
        num_frames=5,
        height=16,
        width=16,
        num_inference_steps=1,
        guidance_scale=1.0,
        output_type="np",
    ).frames
    assert video.shape == (1, 5, 16, 16, 3)
