"""Image and audio metrics on real tensors: FID/KID with a pluggable (tiny, offline) vision backbone,
WER/CER via jiwer, SI-SDR via torchmetrics; clear errors where a package or weights are missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def _backbone(directory: Path) -> Path:
    from transformers import ViTConfig, ViTImageProcessor, ViTModel

    config = ViTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    )
    import torch

    torch.manual_seed(0)
    ViTModel(config).save_pretrained(directory)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(directory)
    return directory


def _images(folder: Path, colour: int, count: int, seed: int) -> Path:
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder.mkdir()
    for i in range(count):
        pixels = rng.integers(0, 80, (32, 32, 3), dtype=np.uint8)
        pixels[..., colour] += 170
        Image.fromarray(pixels).save(folder / f"{i}.png")
    return folder


def test_fid_kid_separate_distributions_with_a_pluggable_extractor(tmp_path: Path) -> None:
    from omnitune.evaluate.image_metrics import VisionFeatures, fid_kid, load_images

    features = VisionFeatures.from_pretrained(str(_backbone(tmp_path / "vit")))
    red = load_images(_images(tmp_path / "red", 0, 12, 1), size=32)
    red_again = load_images(_images(tmp_path / "red2", 0, 12, 2), size=32)
    blue = load_images(_images(tmp_path / "blue", 2, 12, 3), size=32)
    assert red.shape == (12, 3, 32, 32) and float(red.max()) <= 1.0
    same_scores, different_scores = (
        fid_kid(red, red_again, features, kid_subset=6),
        fid_kid(red, blue, features, kid_subset=6),
    )
    same, different = same_scores.values, different_scores.values
    assert 0 <= same["fid"] < different["fid"] and same["kid"] < different["kid"]
    assert same_scores.extractor == str(tmp_path / "vit")
    with pytest.raises(ValueError, match="at least 2 images"):
        fid_kid(red[:1], blue, features)
    with pytest.raises(FileNotFoundError, match="no images"):
        load_images(tmp_path / "vit")


def test_audio_metrics() -> None:
    from omnitune.evaluate.audio_metrics import pesq_stoi, si_sdr, word_error_rate

    scores = word_error_rate(["the cat sat", "hello word"], ["the cat sat", "hello world"])
    assert scores["wer"] == pytest.approx(1 / 5) and 0 < scores["cer"] < scores["wer"]
    t = np.linspace(0, 1, 8000)
    clean = np.sin(2 * np.pi * 220 * t)
    noise = np.random.default_rng(0).normal(size=t.shape)
    assert si_sdr(2.5 * clean, clean) > 100  # scale-invariant
    assert si_sdr(clean + 0.01 * noise, clean) > si_sdr(clean + 0.3 * noise, clean) > 0
    with pytest.raises(ValueError, match="equal shapes"):
        si_sdr(clean[:100], clean)
    with pytest.raises(ValueError, match="8000 or 16000"):
        pesq_stoi(clean, clean, 44100)
    try:
        import pesq  # noqa: F401
        import pystoi  # noqa: F401
    except ImportError:
        with pytest.raises(ValueError, match="pip install pesq pystoi"):
            pesq_stoi(clean, clean, 8000)
    else:
        scores = pesq_stoi(clean + 0.01 * noise, clean, 8000)
        assert scores["stoi"] > 0.9
