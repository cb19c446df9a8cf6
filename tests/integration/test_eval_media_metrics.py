"""Media metrics with known answers: Fréchet distance of shifted Gaussians, FAD over a tiny AST encoder,
CLIP score (formula by hand; a tiny CLIP taught two pairs ranks matched above mismatched), subject
similarity, temporal consistency of a static vs a moving clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from media_helpers import one_thread, write_frames  # noqa: F401
from test_eval_media import _backbone, _images

pytestmark = pytest.mark.usefixtures("one_thread")


def test_frechet_distance_known_answer() -> None:
    from omnitune.evaluate.frechet import frechet_distance, kernel_distance

    a = torch.randn(400, 4, generator=torch.Generator().manual_seed(0))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    # equal covariances, means 3 apart on each of 4 axes: d^2 = 4 * 3^2
    assert frechet_distance(a, a + 3.0) == pytest.approx(36.0, rel=1e-6)
    assert kernel_distance(a, a, 50) < 1e-9 < kernel_distance(a, a + 3.0, 50)
    with pytest.raises(ValueError, match="at least 2"):
        frechet_distance(a[:1], a)


def _tone(hz: float, seed: int, rate: int = 16000) -> np.ndarray:
    t = np.arange(rate // 2) / rate
    noise = np.random.default_rng(seed).normal(0, 0.01, t.shape)
    return (0.5 * np.sin(2 * np.pi * hz * t) + noise).astype(np.float32)


def test_fad_zero_for_identical_clips_and_grows_with_a_shift(tmp_path: Path) -> None:
    from omnitune.evaluate.audio_embeddings import AudioFeatures, frechet_audio_distance
    from omnitune.recipes.audio.tiny_models import tiny_audio_classifier

    torch.manual_seed(0)
    model, extractor = tiny_audio_classifier({}, ["a", "b"])
    model.save_pretrained(tmp_path / "ast")
    extractor.save_pretrained(tmp_path / "ast")
    encoder = AudioFeatures.from_pretrained(str(tmp_path / "ast"))
    low = [_tone(300 + 20 * i, i) for i in range(6)]
    low_again = [_tone(310 + 20 * i, 10 + i) for i in range(6)]
    high = [_tone(3000 + 200 * i, 20 + i) for i in range(6)]
    same = frechet_audio_distance(low, low, 16000, encoder)
    near = frechet_audio_distance(low, low_again, 16000, encoder).values["fad"]
    far = frechet_audio_distance(low, high, 16000, encoder).values["fad"]
    assert same.values["fad"] == pytest.approx(0.0, abs=1e-4) and same.extractor == str(tmp_path / "ast")
    assert near < far
    resampled = frechet_audio_distance(low, [_tone(300 + 20 * i, i, 8000) for i in range(6)], 8000, encoder)
    assert resampled.values["fad"] < far  # clips at another rate are resampled to the encoder's
    with pytest.raises(ValueError, match="not a transformers audio encoder"):
        AudioFeatures.from_pretrained(str(tmp_path))


def _colour(rgb: tuple[float, float, float], n: int = 1) -> torch.Tensor:
    return torch.tensor(rgb).view(1, 3, 1, 1).expand(n, 3, 32, 32).clone()


def test_clip_score_formula_and_matched_above_mismatched(tmp_path: Path) -> None:
    from omnitune.evaluate.clip_score import ClipScorer
    from omnitune.recipes.multimodal.tiny_models import tiny_clip

    torch.manual_seed(0)
    model, processor = tiny_clip({})
    images = torch.cat([_colour((1, 0, 0)), _colour((0, 0, 1))])
    texts = ["red", "blue"]
    inputs = processor(text=texts, images=list((images * 255).byte().permute(0, 2, 3, 1).numpy()),
                       return_tensors="pt", padding=True)  # fmt: skip
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(40):  # teach the tiny CLIP the two pairs
        loss = model(**inputs, return_loss=True).loss
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.save_pretrained(tmp_path / "clip")
    processor.save_pretrained(tmp_path / "clip")

    scorer = ClipScorer.from_pretrained(str(tmp_path / "clip"))
    image_emb, text_emb = scorer.image_embeddings(images), scorer.text_embeddings(texts)
    by_hand = [
        100 * max(float(torch.dot(i, t) / (i.norm() * t.norm())), 0.0)
        for i, t in zip(image_emb, text_emb, strict=True)
    ]
    matched = scorer.score(images, texts)
    assert matched.values["clip_score"] == pytest.approx(sum(by_hand) / 2, rel=1e-5)
    assert matched.extractor == str(tmp_path / "clip")
    assert matched.values["clip_score"] > scorer.score(images, ["blue", "red"]).values["clip_score"]
    with pytest.raises(ValueError, match="one text per image"):
        scorer.score(images, ["red"])
    with pytest.raises(ValueError, match="not a CLIP directory"):
        ClipScorer.from_pretrained(str(tmp_path))


def test_subject_similarity_and_clip_vision_tower_features(tmp_path: Path) -> None:
    from omnitune.evaluate.image_metrics import VisionFeatures, load_images, subject_similarity
    from omnitune.recipes.multimodal.tiny_models import tiny_clip

    features = VisionFeatures.from_pretrained(str(_backbone(tmp_path / "vit")))
    red = load_images(_images(tmp_path / "red", 0, 6, 1), size=32)
    red_again = load_images(_images(tmp_path / "red2", 0, 6, 2), size=32)
    blue = load_images(_images(tmp_path / "blue", 2, 6, 3), size=32)
    own = subject_similarity(red_again, red, features).values["subject_similarity"]
    other = subject_similarity(blue, red, features).values["subject_similarity"]
    assert -1 <= other < own <= 1

    torch.manual_seed(0)
    model, processor = tiny_clip({})
    model.save_pretrained(tmp_path / "clip")
    processor.save_pretrained(tmp_path / "clip")
    tower = VisionFeatures.from_pretrained(str(tmp_path / "clip"))  # a CLIP dir: its vision tower
    assert tower(red).shape == (6, 16)


def test_temporal_consistency_static_is_one_moving_is_less(tmp_path: Path) -> None:
    from omnitune.evaluate.image_metrics import VisionFeatures, load_images
    from omnitune.evaluate.video_metrics import frame_fid_kid, frames_tensor, temporal_consistency

    features = VisionFeatures.from_pretrained(str(_backbone(tmp_path / "vit")))
    write_frames(tmp_path / "clips" / "static", 6, 32, (40, 90, 160), moving=False)
    write_frames(tmp_path / "clips" / "moving", 6, 32, (40, 90, 160), moving=True)
    static = load_images(tmp_path / "clips" / "static", size=32)
    moving = load_images(tmp_path / "clips" / "moving", size=32)
    still = temporal_consistency([static], features).values["temporal_consistency"]
    assert still == pytest.approx(1.0, abs=1e-6)
    assert temporal_consistency([moving], features).values["temporal_consistency"] < still
    uint8 = (moving * 255).round().byte().permute(0, 2, 3, 1)
    assert torch.allclose(frames_tensor(uint8), moving, atol=1e-6)
    frames = frame_fid_kid([static, moving], [moving, static], features, per_clip=3)
    assert frames.values["frame_fid"] == pytest.approx(0.0, abs=1e-3) and "frame_kid" in frames.values
