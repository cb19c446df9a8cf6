"""`omnitune models serve` on media versions: a tiny SD LoRA answers /v1/images/generations with PNGs of
the asked size, a tiny SpeechT5 speaks WAV on /v1/audio/speech, a tiny MusicGen composes WAV on
/v1/audio/generations (and on /v1/audio/speech); usage is counted on the version and an endpoint the
model does not answer is a 400 naming the ones it does."""

from __future__ import annotations

import base64
import io
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from image_helpers import TINY_HP, captioned_rows, make_context, save_tiny_pipeline, write_image_dataset
from media_helpers import make_ctx, one_thread, write_prepared, write_tone  # noqa: F401

from omnitune.recipes.base import RecipeContext
from omnitune.store.records import ModelVersionRecord
from omnitune.types import DataFamily, Method, Modality

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


def _register(ctx: RecipeContext, name: str, base_model: str, method: str, recipe: str) -> ModelVersionRecord:
    """Register a trained output with its plan stored (serving reads the plan's sampling settings)."""
    from omnitune.services.models import artefact_sha256
    from omnitune.settings import get_settings
    from omnitune.store import model_versions, plans
    from omnitune.store.tables import utcnow

    plans.save_plan(ctx.plan)
    target = get_settings().models_dir / name / "v1" / "artefact"
    shutil.copytree(ctx.output_dir, target)
    return model_versions.insert_version(
        id=uuid.uuid4().hex[:12], name=name, version=1, artefact_path=str(target),
        sha256=artefact_sha256(target), base_model=base_model, method=method, recipe=recipe,
        plan_id=ctx.plan.id, created_at=utcnow(),
    )  # fmt: skip


def _client(ref: str) -> Any:
    from fastapi.testclient import TestClient

    from omnitune.serving.runner import build_app

    return TestClient(build_app(ref))


@pytest.fixture(scope="module")
def image_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RecipeContext, Path]:
    import torch

    from omnitune.recipes.registry import get_recipe

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("serve-image")
    base = save_tiny_pipeline(root / "tiny-sd")
    data = write_image_dataset(root / "data", captioned_rows(4))
    hp = {**TINY_HP, "learning_rate": 3e-3, "use_ema": False}
    ctx, _ = make_context(root, base, data, "image_lora", Method.LORA, hp, max_steps=3)
    assert get_recipe("image_lora").run(ctx).status == "completed"
    return ctx, base


def _voices(root: Path) -> Path:
    lines = ["hello there", "good morning", "see you soon", "thank you", "how are you", "fine thanks"]
    rows = [
        {
            "audio": write_tone(root / "audio" / f"{i}.wav", 180 if i % 2 else 320, 0.4),
            "text": text,
            "sampling_rate": 16000,
            "duration_s": 0.4,
            "speaker": "ann" if i % 2 else "bob",
        }
        for i, text in enumerate(lines)
    ]
    return write_prepared(root, Modality.AUDIO, DataFamily.AUDIO, rows[:4], rows[4:])


def _music(root: Path) -> Path:
    rows = [
        {
            "audio": write_tone(root / "audio" / f"{i}.wav", 220 * (1 + i % 3), 0.3, rate=8000),
            "sampling_rate": 8000,
            "duration_s": 0.3,
            "text": f"calm tone number {i % 3}",
        }
        for i in range(6)
    ]
    return write_prepared(root, Modality.AUDIO, DataFamily.AUDIO, rows[:4], rows[4:])


@pytest.fixture(scope="module")
def speech_run(tmp_path_factory: pytest.TempPathFactory) -> RecipeContext:
    import torch

    from omnitune.recipes.audio.tts import SpeechSynthesisRecipe

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("serve-speech")
    hp = {"learning_rate": 3e-3, "batch_size": 4, "max_steps": 4, "sample_min_len_ratio": 1.0,
          "sample_max_len_ratio": 3.0}  # fmt: skip
    ctx, _ = make_ctx(root, _voices(root / "data"), recipe="speech_synthesis", method=Method.FULL_FINETUNE,
                      hyperparameters=hp)  # fmt: skip
    assert SpeechSynthesisRecipe().run(ctx).status == "completed"
    return ctx


@pytest.fixture(scope="module")
def music_run(tmp_path_factory: pytest.TempPathFactory) -> RecipeContext:
    import torch

    from omnitune.recipes.audio.music import MusicGenerationRecipe

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("serve-music")
    hp = {"learning_rate": 5e-3, "batch_size": 4, "max_steps": 3, "sample_seconds": 0.05, "lora_r": 8}
    ctx, _ = make_ctx(root, _music(root / "data"), recipe="music_generation", method=Method.LORA,
                      hyperparameters=hp)  # fmt: skip
    assert MusicGenerationRecipe().run(ctx).status == "completed"
    return ctx


def _wave(response: Any) -> tuple[Any, int]:
    import soundfile

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    samples, rate = soundfile.read(io.BytesIO(response.content))
    assert len(samples) > 0 and abs(samples).max() > 0
    return samples, rate


def test_image_lora_version_generates_pngs_of_the_asked_size(image_run: tuple[RecipeContext, Path]) -> None:
    import numpy as np
    from PIL import Image

    from omnitune.store import registry

    ctx, base = image_run
    version = _register(ctx, "stripes", str(base), "lora", "image_lora")
    client = _client("stripes:v1")
    assert client.get("/health").json()["endpoints"] == ["POST /v1/images/generations"]
    body = {"prompt": "red stripes", "n": 2, "size": "48x32", "seed": 3, "steps": 2}
    reply = client.post("/v1/images/generations", json=body)
    assert reply.status_code == 200, reply.text
    images = [Image.open(io.BytesIO(base64.b64decode(d["b64_json"]))) for d in reply.json()["data"]]
    assert [(i.format, i.size) for i in images] == [("PNG", (48, 32))] * 2
    first, second = (np.asarray(i.convert("RGB"), dtype=np.int16) for i in images)
    assert np.abs(first - second).max() > 0  # image k is seeded seed + k
    again = client.post("/v1/images/generations", json={**body, "n": 1}).json()["data"][0]["b64_json"]
    assert again == reply.json()["data"][0]["b64_json"]  # the same seed gives the same image
    native = client.post("/v1/images/generations", json={"prompt": "blue stripes", "steps": 1}).json()
    assert Image.open(io.BytesIO(base64.b64decode(native["data"][0]["b64_json"]))).size == (32, 32)

    bad_size = client.post("/v1/images/generations", json={"prompt": "x", "size": "30x30"})
    assert bad_size.status_code == 400 and "multiple of 8" in bad_size.json()["error"]["message"]
    wrong = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]})
    message = wrong.json()["error"]["message"]
    assert wrong.status_code == 400 and "text-to-image model" in message
    assert "serves POST /v1/images/generations" in message
    usage = registry.usage_of(version.id)
    assert usage.requests == 3 and usage.prompt_tokens > 0  # refused requests are not counted


def _direct_speech(version: ModelVersionRecord, text: str, voice: str) -> Any:
    """What the artefact itself says with the plan's length ratios (the served WAV must match it)."""
    import torch
    from safetensors.torch import load_file
    from transformers import SpeechT5ForTextToSpeech, SpeechT5HifiGan, SpeechT5Processor

    from omnitune.recipes.audio.tts import SPEAKERS_FILE

    root = Path(version.artefact_path)
    model = SpeechT5ForTextToSpeech.from_pretrained(root).eval()
    ids = SpeechT5Processor.from_pretrained(root).tokenizer(text, return_tensors="pt").input_ids
    torch.manual_seed(0)
    with torch.no_grad():
        wave = model.generate_speech(ids, load_file(str(root / SPEAKERS_FILE))[voice][None],
                                     vocoder=SpeechT5HifiGan.from_pretrained(root / "vocoder").eval(),
                                     minlenratio=1.0, maxlenratio=3.0)  # fmt: skip
    return wave.numpy()


def test_speech_version_speaks_wav_in_each_voice(speech_run: RecipeContext) -> None:
    from omnitune.store import registry

    version = _register(speech_run, "voice", "tiny-from-config", "full_finetune", "speech_synthesis")
    client = _client("voice")
    ann = client.post("/v1/audio/speech", json={"input": "hello there", "voice": "ann", "seed": 0})
    samples, rate = _wave(ann)
    assert rate == 16000 and ann.headers["x-omnitune-voice"] == "ann"
    assert int(ann.headers["x-omnitune-samples"]) == len(samples)
    assert samples == pytest.approx(_direct_speech(version, "hello there", "ann"), abs=1 / 32767)
    bob = client.post("/v1/audio/speech", json={"input": "hello there", "voice": "bob", "seed": 0})
    assert _wave(bob)[0] == pytest.approx(_direct_speech(version, "hello there", "bob"), abs=1 / 32767)
    pcm = client.post("/v1/audio/speech", json={"input": "thank you", "response_format": "pcm"})
    assert pcm.status_code == 200 and len(pcm.content) > 0 and len(pcm.content) % 2 == 0

    unknown = client.post("/v1/audio/speech", json={"input": "hi", "voice": "zed"})
    assert unknown.status_code == 400 and "['ann', 'bob']" in unknown.json()["error"]["message"]
    wrong = client.post("/v1/audio/generations", json={"prompt": "a calm tone"})
    assert wrong.status_code == 400
    assert "text-to-speech model; it serves POST /v1/audio/speech" in wrong.json()["error"]["message"]
    assert registry.usage_of(version.id).requests == 3


def test_music_version_composes_on_both_audio_endpoints(music_run: RecipeContext) -> None:
    from omnitune.store import registry

    version = _register(music_run, "tunes", "tiny-from-config", "lora", "music_generation")
    client = _client("tunes:v1")
    music = client.post("/v1/audio/generations", json={"prompt": "calm tone number 1", "seconds": 0.2,
                                                       "seed": 1})  # fmt: skip
    samples, rate = _wave(music)
    assert rate == 8000
    described = client.post("/v1/audio/speech", json={"input": "calm tone number 2", "seed": 1})
    spoken, spoken_rate = _wave(described)
    assert spoken_rate == 8000 and len(spoken) < len(samples)  # default length: the plan's 0.05 s
    flac = client.post("/v1/audio/generations", json={"prompt": "calm", "seconds": 0.1,
                                                      "response_format": "flac"})  # fmt: skip
    assert flac.status_code == 200 and flac.content[:4] == b"fLaC"
    wrong = client.post("/v1/embeddings", json={"input": "calm"})
    message = wrong.json()["error"]["message"]
    assert wrong.status_code == 400 and "music model" in message and "POST /v1/audio/generations" in message
    usage = registry.usage_of(version.id)
    assert usage.requests == 3 and usage.prompt_tokens > 0
