"""Tiny media versions for the studio's media test sessions and `models compare`: a text-to-image LoRA, a
SpeechT5 voice, a MusicGen LoRA and a Wan image-to-video LoRA, each trained a few steps (once per process)
and registered into the current store."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent.parent / "integration"))

from image_helpers import (
    TINY_HP,
    captioned_rows,
    make_context,
    save_tiny_pipeline,
    write_image_dataset,
)
from media_helpers import Events, StopAfter, write_frames, write_prepared, write_tone

from omnitune.plan.schema import ModelChoice, Training, TrainingPlan
from omnitune.recipes.base import RecipeContext
from omnitune.store.records import ModelVersionRecord
from omnitune.types import DataFamily, Method, Modality

_TRAINED: dict[str, tuple[RecipeContext, str]] = {}
SPEECH_HP = {
    "learning_rate": 3e-3,
    "batch_size": 4,
    "max_steps": 3,
    "sample_min_len_ratio": 1.0,
    "sample_max_len_ratio": 3.0,
}
MUSIC_HP = {"learning_rate": 5e-3, "batch_size": 4, "max_steps": 3, "sample_seconds": 0.05, "lora_r": 8}
VIDEO_HP = {"learning_rate": 1e-2, "batch_size": 2, "max_steps": 2, "num_frames": 9, "height": 16,
            "width": 16, "max_sequence_length": 16, "sample_steps": 2, "sample_guidance": 1.0, "lora_r": 4,
            "fps": 8}  # fmt: skip


def image_lora(root: Path) -> tuple[RecipeContext, str]:
    """A LoRA of a saved tiny Stable Diffusion pipeline, 3 steps on striped images; (context, base)."""
    if "image" not in _TRAINED:
        from omnitune.recipes.registry import get_recipe

        base = save_tiny_pipeline(root / "tiny-sd")
        data = write_image_dataset(root / "data", captioned_rows(4))
        hp = {**TINY_HP, "learning_rate": 3e-3, "use_ema": False}
        ctx, _ = make_context(root, base, data, "image_lora", Method.LORA, hp, max_steps=3)
        assert get_recipe("image_lora").run(ctx).status == "completed"
        _TRAINED["image"] = ctx, str(base)
    return _TRAINED["image"]


def speech_voice(root: Path) -> tuple[RecipeContext, str]:
    """omnitune/tiny-speecht5 fine-tuned 3 steps on two speakers' tones; (context, base)."""
    if "speech" not in _TRAINED:
        from omnitune.recipes.audio.tts import SpeechSynthesisRecipe

        lines = ["hello there", "good morning", "see you soon", "thank you", "how are you", "fine thanks"]
        rows = [
            {
                "audio": write_tone(root / "data" / "audio" / f"{i}.wav", 180 if i % 2 else 320, 0.4),
                "text": text,
                "sampling_rate": 16000,
                "duration_s": 0.4,
                "speaker": "ann" if i % 2 else "bob",
            }
            for i, text in enumerate(lines)
        ]
        data = write_prepared(root / "data", Modality.AUDIO, DataFamily.AUDIO, rows[:4], rows[4:])
        ctx = _context(
            root, data, "omnitune/tiny-speecht5", "speech_synthesis", Method.FULL_FINETUNE, SPEECH_HP
        )
        assert SpeechSynthesisRecipe().run(ctx).status == "completed"
        _TRAINED["speech"] = ctx, "omnitune/tiny-speecht5"
    return _TRAINED["speech"]


def music_lora(root: Path) -> tuple[RecipeContext, str]:
    """A LoRA of omnitune/tiny-musicgen, 3 steps on calm tones; (context, base)."""
    if "music" not in _TRAINED:
        from omnitune.recipes.audio.music import MusicGenerationRecipe

        rows = [
            {
                "audio": write_tone(root / "data" / "audio" / f"{i}.wav", 220 * (1 + i % 3), 0.3, rate=16000),
                "sampling_rate": 16000,
                "duration_s": 0.3,
                "text": f"calm tone number {i % 3}",
            }
            for i in range(6)
        ]
        data = write_prepared(root / "data", Modality.AUDIO, DataFamily.AUDIO, rows[:4], rows[4:])
        ctx = _context(root, data, "omnitune/tiny-musicgen", "music_generation", Method.LORA, MUSIC_HP)
        assert MusicGenerationRecipe().run(ctx).status == "completed"
        _TRAINED["music"] = ctx, "omnitune/tiny-musicgen"
    return _TRAINED["music"]


def video_lora(root: Path) -> tuple[RecipeContext, str]:
    """A LoRA of omnitune/tiny-wan-i2v (image-to-video), 2 steps on coloured clips whose plan names the
    data (a session's default first frame is its held-out clip's); (context, base)."""
    if "video" not in _TRAINED:
        from omnitune.recipes.video.lora import VideoLoraRecipe

        colours = [(200, 30, 30), (30, 30, 200), (30, 200, 30), (200, 200, 30)]
        rows = [
            {"video": write_frames(root / "data" / "videos" / f"{i}", 9, 16, rgb, moving=i % 2 == 0),
             "text": f"a clip in colour {i}", "fps": 8, "num_frames": 9}
            for i, rgb in enumerate(colours)
        ]  # fmt: skip
        data = write_prepared(root / "data", Modality.VIDEO, DataFamily.VIDEO, rows[:3], rows[3:])
        ctx = _context(root, data, "omnitune/tiny-wan-i2v", "video_lora", Method.LORA, VIDEO_HP)
        ctx.plan.data.path = str(data)
        assert VideoLoraRecipe().run(ctx).status == "completed"
        _TRAINED["video"] = ctx, "omnitune/tiny-wan-i2v"
    return _TRAINED["video"]


def register(trained: tuple[RecipeContext, str], name: str) -> ModelVersionRecord:
    """Register a trained output (with its plan, whose sampling settings serving reads) in the store."""
    from omnitune.services.models import artefact_sha256
    from omnitune.settings import get_settings
    from omnitune.store import model_versions, plans
    from omnitune.store.tables import utcnow

    ctx, base = trained
    plans.save_plan(ctx.plan)
    version = model_versions.next_version(name)
    target = get_settings().models_dir / name / f"v{version}" / "artefact"
    shutil.copytree(ctx.output_dir, target)
    return model_versions.insert_version(
        id=uuid.uuid4().hex[:12],
        name=name,
        version=version,
        artefact_path=str(target),
        sha256=artefact_sha256(target),
        base_model=base,
        method=ctx.model.method.value,
        recipe=ctx.model.recipe,
        plan_id=ctx.plan.id,
        created_at=utcnow(),
    )


def _context(
    root: Path, data: Path, base: str, recipe: str, method: Method, hp: dict[str, Any]
) -> RecipeContext:
    choice = ModelChoice(role="main", base_model=base, method=method, recipe=recipe)
    plan = TrainingPlan(models=[choice], training=Training(hyperparameters=hp))
    return RecipeContext(
        plan=plan,
        model=choice,
        data_dir=data,
        output_dir=root / "run" / "model",
        checkpoints_dir=root / "run" / "checkpoints",
        events=Events(),
        control=StopAfter(),
    )


@contextmanager
def using_home(home: Path) -> Iterator[None]:
    """Point this process's settings (and so the store) at ``home``, e.g. a running studio's, for a while."""
    from omnitune.settings import get_settings

    before = os.environ.get("OMNITUNE_HOME")
    os.environ["OMNITUNE_HOME"] = str(home)
    get_settings.cache_clear()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OMNITUNE_HOME", None)
        else:
            os.environ["OMNITUNE_HOME"] = before
        get_settings.cache_clear()
