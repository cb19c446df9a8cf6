"""image_controlnet: a ControlNet from a tiny UNet learns from paired conditioning images and steers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from image_helpers import TINY_HP, make_context, pattern_image, save_tiny_pipeline, write_image_dataset
from PIL import Image, ImageOps

from omnitune.types import Method

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)  # tiny models on a busy shared CPU run faster single-threaded


def test_controlnet_trains_saves_and_steers(tmp_path: Path) -> None:
    from diffusers import ControlNetModel, StableDiffusionControlNetPipeline, StableDiffusionPipeline

    from omnitune.recipes.registry import get_recipe

    base = save_tiny_pipeline(tmp_path / "sd")
    rows = []
    for i in range(4):
        image = pattern_image(i % 2, (32, 32), i)
        rows.append(
            {
                "file_name": image,
                "conditioning_file_name": ImageOps.grayscale(image).convert("RGB"),
                "text": "stripes",
            }
        )
    data = write_image_dataset(tmp_path / "data", rows)
    hp = {**TINY_HP, "learning_rate": 3e-3}
    ctx, events = make_context(tmp_path, base, data, "image_controlnet", Method.CONTROLNET, hp, max_steps=10)
    result = get_recipe("image_controlnet").run(ctx)
    assert result.status == "completed"
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]
    assert Path(events.named("sample")[-1]["path"]).is_file()

    pipe = StableDiffusionPipeline.from_pretrained(base)
    controlnet = ControlNetModel.from_pretrained(ctx.output_dir / "controlnet")
    controlled = StableDiffusionControlNetPipeline(**pipe.components, controlnet=controlnet)
    controlled.set_progress_bar_config(disable=True)
    pipe.set_progress_bar_config(disable=True)
    kwargs = {"num_inference_steps": 2, "height": 32, "width": 32, "output_type": "np"}
    with Image.open(data / "images/0000-conditioning_file_name.png") as control:
        steered = controlled(
            "stripes", image=control.convert("RGB"), generator=torch.Generator().manual_seed(0), **kwargs
        ).images[0]
    plain = pipe("stripes", generator=torch.Generator().manual_seed(0), **kwargs).images[0]
    assert np.abs(steered - plain).max() > 1e-4
