"""Pause or kill after N steps, resume, finish: every media recipe ends with the weights of a straight run.

Each case trains a tiny from-config model on synthetic data with one seed: straight to ``STEPS``
(writing a periodic checkpoint at ``PAUSE``, ``save_steps``), paused at ``PAUSE`` (mid-epoch, after an
epoch boundary) then resumed in the same job directories as the runtime does, and resumed from the
straight run's periodic checkpoint (what a worker killed after it would do). Every tensor the
finished runs saved (``*.safetensors`` under the output) must match the straight run's to ``ATOL``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from media_helpers import StopAfter, make_ctx, one_thread, write_frames, write_prepared, write_tone  # noqa: F401
from PIL import Image, ImageOps
from resume_checks import check_exact_resume

from omnitune.recipes.registry import get_recipe
from omnitune.types import DataFamily, Method, Modality

pytestmark = pytest.mark.usefixtures("one_thread")

STEPS, PAUSE = 5, 3  # two (textual inversion: three) optimiser steps per epoch: the pause is mid-epoch
ATOL = 1e-6
TINY_SD = {"pipeline": "stable-diffusion", "max_length": 24}
COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220)}


def _tones(root: Path, count: int, text: Callable[[int], str], rate: int = 16000) -> list[dict[str, Any]]:
    return [
        {
            "audio": write_tone(root / "audio" / f"{i}.wav", 200 + 300 * (i % 3), 0.3, rate),
            "sampling_rate": rate,
            "duration_s": 0.3,
            "text": text(i),
            "label": "low" if i % 2 else "high",
            "speaker": "ann" if i % 2 else "bob",
        }
        for i in range(count)
    ]


def audio_data(root: Path) -> Path:
    rows = _tones(root, 8, lambda i: ["low hum", "high beep", "see you soon"][i % 3])
    return write_prepared(root, Modality.AUDIO, DataFamily.AUDIO, rows[:6], rows[6:])


def music_data(root: Path) -> Path:
    rows = _tones(root, 6, lambda i: f"calm tone number {i % 3}", rate=8000)
    return write_prepared(root, Modality.AUDIO, DataFamily.AUDIO, rows[:4], rows[4:])


def _images(root: Path, count: int) -> list[tuple[str, str]]:
    (root / "images").mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(count):
        colour = list(COLOURS)[i % 3]
        rgb = tuple(c + 4 * i for c in COLOURS[colour])
        Image.new("RGB", (32, 32), rgb).save(root / "images" / f"{i}.png")
        names.append((f"images/{i}.png", colour))
    return names


def image_text_data(root: Path) -> Path:
    rows = [
        {"file_name": f, "text": f"a {c} picture", "question": "what colour is it", "answer": c, "label": c}
        for f, c in _images(root, 8)
    ]
    return write_prepared(root, Modality.IMAGE, DataFamily.IMAGE, rows[:6], rows[6:])


def sd_data(root: Path) -> Path:
    """Four captioned instance images (batch 2: two steps per epoch) and one supplied class image."""
    rows: list[dict[str, Any]] = [{"file_name": f, "text": f"{c} stripes"} for f, c in _images(root, 5)]
    rows[-1] |= {"text": "a photo of dog", "is_class_image": True}
    for row in rows:
        grey = ImageOps.grayscale(Image.open(root / row["file_name"])).convert("RGB")
        row["conditioning_file_name"] = row["file_name"].replace(".png", "-edge.png")
        grey.save(root / row["conditioning_file_name"])
    return write_prepared(root, Modality.IMAGE, DataFamily.IMAGE, rows)


def video_data(root: Path) -> Path:
    rows = [
        {
            "video": write_frames(root / "videos" / f"{i:04d}", 9, 16, rgb, moving=i % 2 == 0),
            "text": f"a {name} clip",
            "fps": 8,
            "num_frames": 9,
            "label": "moving" if i % 2 == 0 else "still",
        }
        for i, (name, rgb) in enumerate(list(COLOURS.items()) * 2)
    ]
    return write_prepared(root, Modality.VIDEO, DataFamily.VIDEO, rows[:4], rows[4:])


@dataclass
class Case:
    recipe: str
    method: Method
    data: Callable[[Path], Path]
    hp: dict[str, Any]
    from_config: dict[str, Any] = field(default_factory=dict)


VIDEO_HP = {"num_frames": 9, "height": 16, "width": 16, "max_sequence_length": 16, "fps": 8}
VIDEO_HP |= {"sample_steps": 1, "sample_guidance": 1.0, "lora_r": 4, "batch_size": 2}
SD_HP = {"resolution": 32, "batch_size": 2, "lora_r": 4, "validation_steps_inference": 1}
SD_HP |= {"lr_scheduler": "cosine", "warmup_steps": 1}
TRAINER_HP = {"batch_size": 3, "lr_scheduler": "cosine", "warmup_steps": 1, "lora_dropout": 0.1}

CASES: dict[str, Case] = {
    "speech_recognition-lora": Case(
        "speech_recognition", Method.LORA, audio_data, TRAINER_HP | {"max_new_tokens": 2, "lora_r": 4}
    ),
    "audio_classification-accumulation": Case(
        "audio_classification",
        Method.CLASSIFICATION,
        audio_data,
        TRAINER_HP | {"batch_size": 1, "gradient_accumulation": 3},
    ),
    "music_generation-full": Case(
        "music_generation",
        Method.FULL_FINETUNE,
        music_data,
        TRAINER_HP | {"batch_size": 2, "sample_seconds": 0.02},
    ),
    "speech_synthesis-full": Case(
        "speech_synthesis",
        Method.FULL_FINETUNE,
        audio_data,
        TRAINER_HP | {"sample_min_len_ratio": 0.5, "sample_max_len_ratio": 1.0},
    ),
    "clip_contrastive-lora": Case(
        "clip_contrastive", Method.LORA, image_text_data, TRAINER_HP | {"lora_r": 4}
    ),
    "vlm_sft-lora": Case(
        "vlm_sft", Method.LORA, image_text_data, TRAINER_HP | {"max_new_tokens": 2, "lora_r": 4}
    ),
    "vlm_sft-full": Case("vlm_sft", Method.SFT, image_text_data, TRAINER_HP | {"max_new_tokens": 2}),
    "clip_contrastive-full": Case("clip_contrastive", Method.CONTRASTIVE, image_text_data, TRAINER_HP),
    "speech_recognition-full": Case(
        "speech_recognition", Method.FULL_FINETUNE, audio_data, TRAINER_HP | {"max_new_tokens": 2}
    ),
    "image_classification-full": Case(
        "image_classification", Method.FULL_FINETUNE, image_text_data, TRAINER_HP, {"image_size": 32}
    ),
    "image_classification-lora": Case(
        "image_classification", Method.LORA, image_text_data, TRAINER_HP | {"lora_r": 4}, {"image_size": 32}
    ),
    "video_classification-full": Case(
        "video_classification", Method.CLASSIFICATION, video_data, TRAINER_HP | {"batch_size": 2}
    ),
    "video_lora-wan": Case("video_lora", Method.LORA, video_data, VIDEO_HP),
    "video_lora-wan-image_to_video": Case(
        "video_lora", Method.LORA, video_data, VIDEO_HP, {"family": "wan", "image_to_video": True}
    ),
    "image_dreambooth-prior-ema": Case(
        "image_dreambooth",
        Method.DREAMBOOTH,
        sd_data,
        SD_HP | {"class_noun": "dog", "num_class_images": 1, "use_ema": True, "lora_dropout": 0.1},
        TINY_SD,
    ),
    "image_textual_inversion": Case(
        "image_textual_inversion",
        Method.TEXTUAL_INVERSION,
        sd_data,
        SD_HP | {"placeholder_token": "<stripes>", "initializer_token": "red", "num_vectors": 2},
        TINY_SD,
    ),
    "image_controlnet": Case("image_controlnet", Method.CONTROLNET, sd_data, SD_HP, TINY_SD),
}


def _train(case: Case, tmp_path: Path, data: Path, name: str, **kwargs: Any) -> Any:
    ctx, _ = make_ctx(
        tmp_path,
        data,
        recipe=case.recipe,
        method=case.method,
        from_config=case.from_config,
        hyperparameters=case.hp | {"learning_rate": 1e-2, "save_steps": PAUSE},
        max_steps=STEPS,
        name=name,
        **kwargs,
    )
    return get_recipe(case.recipe).run(ctx), ctx


@pytest.mark.parametrize("name", list(CASES))
def test_pause_or_kill_and_resume_ends_where_a_straight_run_does(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    data = case.data(tmp_path / "data")

    def train(label: str, **kwargs: Any) -> tuple[Any, Any]:
        return _train(case, tmp_path, data, label, **kwargs)

    check_exact_resume(train, StopAfter, name, STEPS, PAUSE, ATOL)
