"""Media models behind the endpoints: a text-to-image pipeline (diffusers), a SpeechT5 voice, MusicGen.

Each loads once and generates under a lock (one generation at a time, as for language models); what
it returns is already encoded: PNG images, WAV/FLAC/PCM audio.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnitune.serving.schemas import ImageRequest, MusicRequest, SpeechRequest

AUDIO_FORMATS = {"wav": "audio/wav", "flac": "audio/flac", "pcm": "audio/pcm"}
MAX_IMAGE_SIDE = 2048


class MediaRequestError(ValueError):
    """A request the served model cannot honour (size, voice, format); the message says what works."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Rendered:
    """What one request produced: encoded files, their media type, and the prompt tokens read."""

    files: list[bytes]
    media_type: str
    prompt_tokens: int
    details: dict[str, Any] = field(default_factory=dict)


def encode_audio(wave: Any, rate: int, fmt: str) -> bytes:
    """``wave`` (1-D float array) as WAV/FLAC (16-bit PCM) or raw 16-bit little-endian PCM."""
    import numpy as np
    import soundfile

    if fmt not in AUDIO_FORMATS:
        raise MediaRequestError(
            f"response_format {fmt!r} is not supported; use one of {', '.join(AUDIO_FORMATS)}"
        )
    samples = np.asarray(wave, dtype=np.float32).reshape(-1)
    if fmt == "pcm":
        return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format=fmt.upper(), subtype="PCM_16")
    return buffer.getvalue()


def _seed(seed: int | None) -> None:
    if seed is not None:
        import torch

        torch.manual_seed(seed)


def _device() -> str:
    from omnitune.evaluate.language_model import inference_device

    return inference_device()


class ImageModel:
    """A text-to-image pipeline (a trained version's LoRA, LyCORIS, embedding or whole pipeline)."""

    kind, engine = "image", "diffusers"

    def __init__(self, name: str, pipe: Any, steps: int = 20, guidance: float | None = None) -> None:
        from omnitune.recipes.image.session import native_resolution

        self.name, self.pipe, self.steps, self.guidance = name, pipe, steps, guidance
        self.native = native_resolution(pipe)
        self.lock = threading.Lock()

    @classmethod
    def load(
        cls, name: str, path: str, base_model: str = "", seed: int = 42, hp: dict[str, Any] | None = None
    ) -> ImageModel:
        """Load ``path``: a saved pipeline directory, or an adapter artefact applied to ``base_model``."""
        from omnitune.evaluate.image_generation import load_trained_pipeline

        artefact = Path(path)
        if (artefact / "model_index.json").is_file():
            from diffusers import DiffusionPipeline

            pipe = DiffusionPipeline.from_pretrained(artefact)
            pipe.set_progress_bar_config(disable=True)
        elif not base_model:
            raise ValueError(
                f"{artefact}: an image adapter needs its base pipeline; register it "
                "(`omnitune models register`) so the version records its base model, then serve the version"
            )
        else:
            pipe = load_trained_pipeline(base_model, artefact, seed)
        hp = hp or {}
        steps = int(hp.get("validation_steps_inference") or 20)
        guidance = hp.get("validation_guidance_scale")
        return cls(name, pipe.to(_device()), steps, None if guidance is None else float(guidance))

    def size(self, body: ImageRequest) -> tuple[int, int]:
        """(width, height) asked for, else the model's native square; sides are multiples of 8."""
        if body.size is None:
            return self.native, self.native
        width, height = (int(side) for side in body.size.split("x"))
        if not all(8 <= side <= MAX_IMAGE_SIDE and side % 8 == 0 for side in (width, height)):
            raise MediaRequestError(
                f"size {body.size!r}: each side must be a multiple of 8 between 8 and {MAX_IMAGE_SIDE} "
                f"(this model's native size is {self.native}x{self.native})"
            )
        return width, height

    def generate(self, body: ImageRequest) -> Rendered:
        """``n`` PNG images for the prompt (image ``k`` seeded ``seed + k`` when a seed is given)."""
        import torch

        if body.response_format != "b64_json":
            raise MediaRequestError(
                f"response_format {body.response_format!r}: this server returns images inline; use 'b64_json'"
            )
        width, height = self.size(body)
        guidance = body.guidance_scale if body.guidance_scale is not None else self.guidance
        extra = {} if guidance is None else {"guidance_scale": guidance}
        files = []
        with self.lock, torch.no_grad():
            for k in range(body.n):
                generator = None if body.seed is None else torch.Generator("cpu").manual_seed(body.seed + k)
                image = self.pipe(body.prompt, num_inference_steps=body.steps or self.steps, width=width,
                                  height=height, generator=generator, **extra).images[0]  # fmt: skip
                buffer = io.BytesIO()
                image.save(buffer, format="PNG")
                files.append(buffer.getvalue())
        tokens = len(self.pipe.tokenizer(body.prompt).input_ids) if self.pipe.tokenizer is not None else 0
        return Rendered(files, "image/png", tokens, {"size": f"{width}x{height}"})


class SpeechModel:
    """A fine-tuned SpeechT5 with its HiFi-GAN vocoder and the speaker voices saved with it."""

    kind, engine = "speech", "transformers"

    def __init__(self, name: str, model: Any, processor: Any, vocoder: Any, voices: dict[str, Any],
                 hp: dict[str, Any]) -> None:  # fmt: skip
        self.name, self.model, self.processor, self.vocoder = name, model, processor, vocoder
        self.voices, self.hp = voices, hp
        self.rate = int(vocoder.config.sampling_rate)
        self.lock = threading.Lock()

    @classmethod
    def load(cls, name: str, path: str, hp: dict[str, Any] | None = None) -> SpeechModel:
        """Load a ``speech_synthesis`` artefact: model, processor, ``vocoder/`` and the speaker file."""
        from safetensors.torch import load_file
        from transformers import SpeechT5ForTextToSpeech, SpeechT5HifiGan, SpeechT5Processor

        from omnitune.recipes.audio.tts import DEFAULTS, SPEAKERS_FILE

        root = Path(path)
        if not (root / SPEAKERS_FILE).is_file():
            raise FileNotFoundError(
                f"{root / SPEAKERS_FILE} is missing: {root} is not a speech_synthesis artefact"
            )
        device = _device()
        model = SpeechT5ForTextToSpeech.from_pretrained(str(root)).eval().to(device)
        vocoder = SpeechT5HifiGan.from_pretrained(str(root / "vocoder")).eval().to(device)
        voices = dict(load_file(str(root / SPEAKERS_FILE)))
        processor = SpeechT5Processor.from_pretrained(str(root))
        return cls(name, model, processor, vocoder, voices, {**DEFAULTS, **(hp or {})})

    def speak(self, body: SpeechRequest) -> Rendered:
        """``input`` spoken in ``voice`` (default: the first saved voice), encoded as asked."""
        import torch

        voice = body.voice or sorted(self.voices)[0]
        if voice not in self.voices:
            raise MediaRequestError(
                f"voice {voice!r} is not one of this model's voices: {sorted(self.voices)}", "voice"
            )
        ids = self.processor.tokenizer(body.input, return_tensors="pt").input_ids.to(self.model.device)
        with self.lock, torch.no_grad():
            _seed(body.seed)
            wave = self.model.generate_speech(
                ids,
                self.voices[voice][None].to(self.model.device),
                vocoder=self.vocoder,
                minlenratio=float(self.hp["sample_min_len_ratio"]),
                maxlenratio=float(self.hp["sample_max_len_ratio"]),
            )
        if wave.numel() == 0:
            raise MediaRequestError(
                f"{self.name} produced no audio for this input; train it longer or raise the plan's "
                "sample_min_len_ratio"
            )
        audio = encode_audio(wave.float().cpu().numpy(), self.rate, body.response_format)
        details = {"voice": voice, "sampling_rate": self.rate, "samples": int(wave.numel())}
        return Rendered([audio], AUDIO_FORMATS[body.response_format], int(ids.shape[1]), details)


class MusicModel:
    """A fine-tuned MusicGen (full weights or base + LoRA) and its processor."""

    kind, engine = "music", "transformers"

    def __init__(self, name: str, model: Any, processor: Any, guidance: float, seconds: float = 5.0) -> None:
        self.name, self.model, self.processor, self.guidance = name, model, processor, guidance
        self.seconds = seconds
        self.rate = int(model.config.audio_encoder.sampling_rate)
        self.lock = threading.Lock()

    @classmethod
    def load(cls, name: str, path: str, hp: dict[str, Any] | None = None) -> MusicModel:
        """Load a ``music_generation`` artefact (``load_transformers_artefact`` handles LoRA)."""
        from transformers import AutoProcessor, MusicgenForConditionalGeneration

        from omnitune.recipes.audio.music import DEFAULTS
        from omnitune.recipes.media_training import load_transformers_artefact

        model = load_transformers_artefact(MusicgenForConditionalGeneration, Path(path))
        if hasattr(model, "merge_and_unload"):
            model = model.merge_and_unload()  # a LoRA version generates as fast as full weights
        processor = AutoProcessor.from_pretrained(str(path))
        settings = {**DEFAULTS, **(hp or {})}
        guidance, seconds = float(settings["guidance_scale"]), float(settings["sample_seconds"])
        return cls(name, model.eval().to(_device()), processor, guidance, seconds)

    def compose(self, body: MusicRequest) -> Rendered:
        """``seconds`` (default: the plan's ``sample_seconds``) of music for ``prompt``, encoded as asked."""
        import torch

        inputs = self.processor(text=[body.prompt], padding=True, return_tensors="pt").to(self.model.device)
        seconds = body.seconds if body.seconds is not None else self.seconds
        frames = max(1, int(seconds * self.model.config.audio_encoder.frame_rate))
        guidance = body.guidance_scale if body.guidance_scale is not None else self.guidance
        with self.lock, torch.no_grad():
            _seed(body.seed)
            audio = self.model.generate(
                **inputs, do_sample=True, guidance_scale=guidance, max_new_tokens=frames
            )
        wave = audio[0, 0].float().cpu().numpy()
        encoded = encode_audio(wave, self.rate, body.response_format)
        details = {"sampling_rate": self.rate, "samples": int(wave.shape[-1])}
        return Rendered(
            [encoded], AUDIO_FORMATS[body.response_format], int(inputs["input_ids"].shape[1]), details
        )
