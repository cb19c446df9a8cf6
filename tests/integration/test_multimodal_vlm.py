"""vlm_sft: a tiny LLaVA learns to name an image's colour through trl's SFTTrainer; it reloads."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_helpers import make_ctx, one_thread, write_prepared  # noqa: F401

from omnitune.recipes.media_training import load_transformers_artefact
from omnitune.recipes.multimodal.vlm import VlmSftRecipe
from omnitune.types import DataFamily, Method, Modality

pytestmark = pytest.mark.usefixtures("one_thread")

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220)}


def _qa(root: Path) -> Path:
    from PIL import Image

    (root / "images").mkdir(parents=True)
    train, held = [], []
    for name, rgb in COLOURS.items():
        for i in range(4):
            Image.new("RGB", (32, 32), tuple(c + 5 * i for c in rgb)).save(root / "images" / f"{name}{i}.png")
            row = {
                "file_name": f"images/{name}{i}.png",
                "text": "",
                "question": "what colour is it",
                "answer": name,
            }
            (held if i == 3 else train).append(row)
    return write_prepared(root, Modality.IMAGE, DataFamily.IMAGE, train, held)


@pytest.mark.slow
@pytest.mark.parametrize("method", [Method.SFT, Method.LORA])
def test_vlm_sft_learns_answers_and_reloads(tmp_path: Path, method: Method) -> None:
    from transformers import AutoModelForImageTextToText, AutoProcessor

    data = _qa(tmp_path / "data")
    lr = 5e-3 if method == Method.SFT else 2e-2
    hp = {"learning_rate": lr, "batch_size": 9, "max_steps": 25, "max_new_tokens": 4, "lora_r": 8}
    ctx, events = make_ctx(tmp_path, data, recipe="vlm_sft", method=method, hyperparameters=hp)
    result = VlmSftRecipe().run(ctx)
    assert result.status == "completed" and result.step == 25
    assert events.losses()[-1] < events.losses()[0]
    assert result.metrics["eval_loss_after"] < result.metrics["eval_loss_before"]
    if method == Method.SFT:
        assert result.metrics["answer_accuracy_after"] > result.metrics["answer_accuracy_before"]
    model = load_transformers_artefact(AutoModelForImageTextToText, ctx.output_dir)
    processor = AutoProcessor.from_pretrained(ctx.output_dir)
    assert model is not None and processor.tokenizer.convert_tokens_to_ids("<image>") > 0
