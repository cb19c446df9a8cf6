"""image_dreambooth and image_textual_inversion on a tiny Stable Diffusion pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from image_helpers import (
    TINY_HP,
    captioned_rows,
    make_context,
    pattern_image,
    save_tiny_pipeline,
    write_image_dataset,
)

from omnitune.types import Method

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_pipeline(tmp_path_factory.mktemp("tiny-sd") / "sd")


def test_dreambooth_generates_class_images_and_learns_the_subject(tmp_path: Path, base: Path) -> None:
    from diffusers import StableDiffusionPipeline

    from omnitune.recipes.registry import get_recipe

    rows = [{"file_name": pattern_image(0, (32, 32), i), "text": ""} for i in range(3)]
    rows.append(
        {"file_name": pattern_image(2, (32, 32), 9), "text": "a photo of dog", "is_class_image": True}
    )
    data = write_image_dataset(tmp_path / "data", rows)
    hp = {
        **TINY_HP,
        "trigger_word": "sks",
        "class_noun": "dog",
        "num_class_images": 2,
        "class_inference_steps": 2,
        "learning_rate": 3e-3,
    }
    ctx, events = make_context(tmp_path, base, data, "image_dreambooth", Method.DREAMBOOTH, hp, max_steps=10)
    result = get_recipe("image_dreambooth").run(ctx)
    assert result.status == "completed" and result.metrics["class_images"] == 2.0
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]
    assert len(list((ctx.output_dir / "class_images").glob("*.png"))) == 1  # one supplied, one generated
    assert events.named("sample")[-1]["prompt"] == "a photo of sks dog"

    pipe = StableDiffusionPipeline.from_pretrained(base)
    pipe.set_progress_bar_config(disable=True)
    kwargs = {"num_inference_steps": 2, "height": 32, "width": 32, "output_type": "np"}
    plain = pipe("a photo of sks dog", generator=torch.Generator().manual_seed(0), **kwargs).images[0]
    pipe.load_lora_weights(ctx.output_dir)
    tuned = pipe("a photo of sks dog", generator=torch.Generator().manual_seed(0), **kwargs).images[0]
    assert np.abs(tuned - plain).max() > 1e-3


def test_textual_inversion_trains_only_the_new_token(tmp_path: Path, base: Path) -> None:
    from diffusers import StableDiffusionPipeline

    from omnitune.recipes.registry import get_recipe

    data = write_image_dataset(tmp_path / "data", captioned_rows(4))
    hp = {
        **TINY_HP,
        "placeholder_token": "<stripes>",
        "initializer_token": "red",
        "learning_rate": 5e-2,
        "num_vectors": 2,
    }
    ctx, _ = make_context(
        tmp_path, base, data, "image_textual_inversion", Method.TEXTUAL_INVERSION, hp, max_steps=10
    )
    result = get_recipe("image_textual_inversion").run(ctx)
    assert result.status == "completed"
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]

    pipe = StableDiffusionPipeline.from_pretrained(base)
    pipe.set_progress_bar_config(disable=True)
    before = pipe.text_encoder.get_input_embeddings().weight.detach().clone()
    pipe.load_textual_inversion(ctx.output_dir / "learned_embeds.safetensors", token="<stripes>")
    after = pipe.text_encoder.get_input_embeddings().weight.detach()
    assert torch.equal(after[: before.shape[0]], before) and after.shape[0] == before.shape[0] + 2
    prompt = pipe.maybe_convert_prompt("<stripes>", pipe.tokenizer)  # a multi-vector token expands
    assert pipe.tokenizer(prompt, add_special_tokens=False).input_ids == [
        before.shape[0],
        before.shape[0] + 1,
    ]
    red = before[pipe.tokenizer("red", add_special_tokens=False).input_ids].mean(0)
    assert not torch.allclose(after[before.shape[0]], red)
    image = pipe(
        "a photo of a <stripes>", num_inference_steps=2, height=32, width=32, output_type="np"
    ).images[0]
    assert image.shape == (32, 32, 3)
