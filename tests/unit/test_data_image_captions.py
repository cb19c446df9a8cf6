"""Caption tools and the auto-caption hook with a tiny from-config BLIP (processor built in memory)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from omnitune.data.image import prepare_images
from omnitune.data.image_captions import (
    Captioner,
    auto_caption,
    clean_caption,
    compose_caption,
    load_captioner,
)
from omnitune.data.media_output import MediaDataError

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "photo", "of", "dog", "cat", "red", "blue"]


def tiny_blip() -> Captioner:
    import torch
    from transformers import BertTokenizer, BlipConfig, BlipForConditionalGeneration, BlipProcessor
    from transformers.models.blip.image_processing_pil_blip import BlipImageProcessorPil

    tokenizer = BertTokenizer(vocab={w: i for i, w in enumerate(VOCAB)})
    processor = BlipProcessor(BlipImageProcessorPil(size={"height": 32, "width": 32}), tokenizer)
    small = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2}
    config = BlipConfig(
        vision_config={**small, "image_size": 32, "patch_size": 8},
        text_config={
            **small,
            "vocab_size": len(VOCAB),
            "max_position_embeddings": 32,
            "bos_token_id": 2,
            "sep_token_id": 3,
            "pad_token_id": 0,
            "eos_token_id": 3,
        },
        projection_dim=32,
    )
    torch.manual_seed(0)
    return Captioner(BlipForConditionalGeneration(config).eval(), processor, max_new_tokens=4)


@pytest.fixture(scope="module")
def captioner() -> Captioner:
    return tiny_blip()


def test_clean_and_compose_captions() -> None:
    assert clean_caption("  a\u200b dog,\n a dog ,  grass\x00 ") == "a dog, grass"
    assert compose_caption("a dog", trigger_word="sks") == "sks, a dog"
    assert compose_caption("photo of SKS dog", trigger_word="sks") == "photo of SKS dog"
    assert (
        compose_caption("", trigger_word="sks", prefix="a photo of ", suffix=", 4k") == "a photo of sks, 4k"
    )


def test_auto_caption_with_tiny_blip(captioner: Captioner) -> None:
    images = [Image.new("RGB", (40, 30), (255, 0, 0)), Image.new("RGB", (50, 50), (0, 0, 255))]
    captions = auto_caption(images, captioner)
    assert len(captions) == 2
    assert all(c and set(c.split()) <= set(VOCAB[5:]) for c in captions)


def test_saved_captioner_reloads_by_path_and_missing_model_is_clear(
    captioner: Captioner, tmp_path: Path
) -> None:
    captioner.model.save_pretrained(tmp_path / "blip")
    captioner.processor.save_pretrained(tmp_path / "blip")
    loaded = load_captioner(str(tmp_path / "blip"))
    image = Image.new("RGB", (32, 32), (0, 255, 0))
    loaded.max_new_tokens = 4
    assert loaded([image]) == captioner([image])
    with pytest.raises(MediaDataError, match="could not be loaded"):
        load_captioner(str(tmp_path / "no-such-model"))


def test_prepare_fills_missing_captions_with_the_captioner(captioner: Captioner, tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    for i in range(3):
        Image.new("RGB", (48, 48), (i * 80, 10, 10)).save(root / f"{i}.png")
    (root / "0.txt").write_text("my own caption", encoding="utf-8")
    manifest = prepare_images(
        root, tmp_path / "out", resolution=32, captioner=captioner, trigger_word="zxq", validation_fraction=0
    )
    rows = {
        json.loads(x)["source"]: json.loads(x)
        for x in (tmp_path / "out" / "train.jsonl").read_text().split("\n")
        if x
    }
    assert manifest.stats["auto_captioned"] == 2
    assert rows["0.png"]["text"] == "zxq, my own caption"
    assert all(
        rows[f"{i}.png"]["text"].startswith("zxq, ") and len(rows[f"{i}.png"]["text"]) > 5 for i in (1, 2)
    )
