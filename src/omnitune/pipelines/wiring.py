"""Inference wiring for "songs with vocals": MusicGen plays the backing track, SpeechT5 voices the lyrics.

Honest limit: SpeechT5 is a text-to-speech model. It *speaks* the lyrics in the trained voice; it
does not sing (no melody, no timing to the beat). The catalog's singing route is named at run time
(``singing_route``); it is trained outside omnitune.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from omnitune.pipelines.mixing import mix, resample

SPOKEN_NOT_SUNG = "SpeechT5 speaks the lyrics; it does not sing (no melody, no timing to the beat)."


@dataclass
class Song:
    """What `song_with_vocals` wrote: the file, its rate and length, each stem's length, and caveats."""

    path: Path
    sampling_rate: int
    samples: int
    music_seconds: float
    vocals_seconds: float
    speaker: str
    notes: list[str] = field(default_factory=list)


def singing_route() -> str:
    """A sentence naming the catalog's singing-voice models and how they can be used."""
    from omnitune.catalog import load_models

    singers = [m for m in load_models().values() if "lyrics_to_singing" in {str(t) for t in m.tasks}]
    if not singers:
        return "The catalog lists no singing-voice model."
    names = ", ".join(
        f"{m.id} ({'trainable here' if m.trainable else 'trained outside omnitune'})" for m in singers
    )
    return f"For real singing, the catalog's nearest route is {names}."


def song_with_vocals(
    music_model_dir: str | Path,
    tts_model_dir: str | Path,
    description: str,
    lyrics: str,
    out_wav: str | Path,
    *,
    seconds: float | None = None,
    speaker: str | None = None,
    seed: int = 0,
    max_len_ratio: float = 20.0,
    min_len_ratio: float = 0.0,
) -> Song:
    """Generate the backing track and the voiced lyrics, resample both to one rate and mix one WAV."""
    import soundfile
    import torch

    torch.manual_seed(seed)
    vocals, voice_rate, speaker = _voice(Path(tts_model_dir), lyrics, speaker, min_len_ratio, max_len_ratio)
    length = seconds if seconds is not None else len(vocals) / voice_rate + 1.0
    music, music_rate = _music(Path(music_model_dir), description, length)
    rate = max(music_rate, voice_rate)
    song = mix(resample(music, music_rate, rate), resample(vocals, voice_rate, rate))
    out = Path(out_wav)
    out.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(out), song, rate, subtype="PCM_16")
    return Song(
        out,
        rate,
        len(song),
        len(music) / music_rate,
        len(vocals) / voice_rate,
        speaker,
        [SPOKEN_NOT_SUNG, singing_route()],
    )


def _music(model_dir: Path, description: str, seconds: float) -> tuple[np.ndarray, int]:
    """``seconds`` of MusicGen audio for ``description`` (full weights or a LoRA artefact)."""
    import torch
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    from omnitune.recipes.media_training import load_transformers_artefact

    model = load_transformers_artefact(MusicgenForConditionalGeneration, model_dir).eval()
    processor = AutoProcessor.from_pretrained(str(model_dir))
    inputs = processor(text=[description], padding=True, return_tensors="pt")
    audio_config = model.config.audio_encoder
    with torch.no_grad():
        audio = model.generate(
            **inputs, do_sample=True, max_new_tokens=max(1, int(seconds * audio_config.frame_rate))
        )
    return audio[0, 0].float().numpy(), int(audio_config.sampling_rate)


def _voice(
    model_dir: Path, lyrics: str, speaker: str | None, min_ratio: float, max_ratio: float
) -> tuple[np.ndarray, int, str]:
    """The lyrics voiced by the fine-tuned SpeechT5 in a saved speaker's voice, through its vocoder."""
    import torch
    from safetensors.torch import load_file
    from transformers import SpeechT5ForTextToSpeech, SpeechT5HifiGan, SpeechT5Processor

    from omnitune.recipes.audio.tts import SPEAKERS_FILE

    speakers = _speakers(model_dir, load_file, SPEAKERS_FILE)
    speaker = speaker or sorted(speakers)[0]
    if speaker not in speakers:
        raise ValueError(
            f"speaker {speaker!r} is not in {model_dir / SPEAKERS_FILE}; saved: {sorted(speakers)}"
        )
    model = SpeechT5ForTextToSpeech.from_pretrained(str(model_dir)).eval()
    processor = SpeechT5Processor.from_pretrained(str(model_dir))
    vocoder = SpeechT5HifiGan.from_pretrained(str(model_dir / "vocoder")).eval()
    ids = processor.tokenizer(lyrics, return_tensors="pt").input_ids
    with torch.no_grad():
        wave = model.generate_speech(
            ids, speakers[speaker][None], vocoder=vocoder, minlenratio=min_ratio, maxlenratio=max_ratio
        )
    if wave.numel() == 0:
        raise ValueError(f"{model_dir}: SpeechT5 produced no audio for the lyrics; train it longer")
    return wave.float().numpy(), int(vocoder.config.sampling_rate), speaker


def _speakers(model_dir: Path, load_file: Any, name: str) -> dict[str, Any]:
    path = model_dir / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: {model_dir} is not a SpeechT5 artefact from the speech_synthesis recipe"
        )
    return dict(load_file(str(path)))
