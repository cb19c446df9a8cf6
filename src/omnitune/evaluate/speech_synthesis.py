"""Evaluate a speech-synthesis (SpeechT5) version: speak the held-out texts in each row's speaker's voice
(and with the baseline), then score the speech.

Texts and reference clips come from ``--data`` (a prepared audio dataset: rows with ``audio`` +
``text``, optional ``speaker``; held-out = its validation split, else the recipe's seeded 25%). Metrics:
``wer``/``cer`` of the speech transcribed by ``--asr`` (a Whisper directory or registered version),
``speaker_similarity`` (mean cosine of the speech's embeddings to every clip of the same speaker in the
data, with ``--speaker-encoder``, else ``--audio-encoder``) and ``fad`` against the held-out clips
(``--audio-encoder``). The baseline speaks with the version's own speaker vectors, tokenizer and
vocoder (the recipe trains only the SpeechT5 model). Utterances are saved as WAVs beside the report.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from omnitune.evaluate.audio_embeddings import FAD_HINT, AudioFeatures, frechet_audio_distance
from omnitune.evaluate.audio_metrics import word_error_rate
from omnitune.evaluate.frechet import ExtractorScores, mean_cosine
from omnitune.evaluate.media import (
    MediaEvalOptions,
    all_rows,
    combined,
    file_samples,
    finish_report,
    held_out_rows,
    load_or_explain,
    plan_hyperparameters,
    training_seed,
    transformers_baseline,
)
from omnitune.evaluate.report import EvalReport
from omnitune.evaluate.text_metrics import normalise_answer
from omnitune.registry.references import ResolvedModel, resolve_model

ASR_HINT = (
    "no speech recognizer: pass --asr DIR (a Whisper directory) or --asr NAME:vN (a speech recognition "
    "version)"
)
SPEAKER_HINT = (
    "no speaker encoder: pass --speaker-encoder DIR (an x-vector model such as a WavLM ...ForXVector, or any "
    "transformers audio encoder) or --audio-encoder DIR"
)


@dataclass
class Voice:
    """The version's SpeechT5 parts: model, processor, vocoder and the speaker vectors it trained with."""

    model: Any
    processor: Any
    vocoder: Any
    speakers: dict[str, Any]


@dataclass
class Utterances:
    """One model's speech: the WAV files, their samples, and the row each one speaks."""

    files: list[Path]
    waves: list[np.ndarray]
    rows: list[dict[str, Any]]


def evaluate_speech_synthesis(target: ResolvedModel, options: MediaEvalOptions) -> EvalReport:
    """Speak the held-out texts with the trained model (and the baseline), score both, check the gates."""
    from omnitune.recipes.audio.tts import DEFAULTS

    version = target.version
    assert version is not None
    seed, hp = training_seed(version), DEFAULTS | plan_hyperparameters(version)
    held = held_out_rows(options, seed, ("audio", "text"), version.recipe)
    voice = load_voice(Path(version.artefact_path))
    report = EvalReport(model=target.label, data=str(options.data), samples_dir=str(options.samples_dir))
    own = speak(voice, voice.model, held, hp, options, "model")
    report.metrics, report.extractors, report.skipped = score(own, held, options, seed)
    report.examples = len(held)
    base: Utterances | None = None
    if options.against:
        report.against, base_model = load_baseline(version, options, seed)
        base = speak(voice, base_model, held, hp, options, "baseline")
        report.baseline_metrics, _, _ = score(base, held, options, seed)
    prompts, references = [str(r["text"]) for r in own.rows], [str(r["audio"]) for r in own.rows]
    samples = file_samples(prompts, references, own.files, base.files if base else [], options)
    return finish_report(report, options, samples)


def load_voice(artefact: Path) -> Voice:
    """The saved SpeechT5 model, processor, HiFi-GAN vocoder and speaker embeddings."""
    from safetensors.torch import load_file
    from transformers import SpeechT5ForTextToSpeech, SpeechT5HifiGan, SpeechT5Processor

    from omnitune.recipes.audio.tts import SPEAKERS_FILE

    where = f"{artefact} (the version's SpeechT5, was it trained by speech_synthesis?)"
    model = load_or_explain(where, lambda: SpeechT5ForTextToSpeech.from_pretrained(artefact))
    processor = load_or_explain(where, lambda: SpeechT5Processor.from_pretrained(artefact))
    vocoder = load_or_explain(
        f"{artefact}/vocoder", lambda: SpeechT5HifiGan.from_pretrained(artefact / "vocoder")
    )
    if not (artefact / SPEAKERS_FILE).is_file():
        raise ValueError(f"{artefact}: no {SPEAKERS_FILE}; was it trained by speech_synthesis?")
    return Voice(model, processor, vocoder, dict(load_file(str(artefact / SPEAKERS_FILE))))


def load_baseline(version: Any, options: MediaEvalOptions, seed: int) -> tuple[str, Any]:
    """(label, SpeechT5 model) of ``--against``; a catalog base is rebuilt with the data's tokenizer."""
    from transformers import SpeechT5ForTextToSpeech

    from omnitune.recipes.audio.tiny_models import tiny_speecht5

    assert options.against is not None
    texts = [str(r["text"]) for r in all_rows(options, seed)]
    with tempfile.TemporaryDirectory() as workdir:
        return transformers_baseline(
            version, options.against, SpeechT5ForTextToSpeech,
            lambda tiny: tiny_speecht5(tiny, texts, workdir)[0], seed,
        )  # fmt: skip


def speak(
    voice: Voice,
    model: Any,
    rows: list[dict[str, Any]],
    hp: dict[str, Any],
    options: MediaEvalOptions,
    tag: str,
) -> Utterances:
    """``num_images`` seeded utterances per row in its speaker's voice, saved as ``<tag>-<row>-<k>.wav``."""
    import soundfile
    import torch

    from omnitune.recipes.audio.speakers import speaker_of
    from omnitune.recipes.audio.tts import write_utterance

    options.samples_dir.mkdir(parents=True, exist_ok=True)
    out = Utterances([], [], [])
    for i, row in enumerate(rows):
        speaker = speaker_of(row)
        if speaker not in voice.speakers:
            raise ValueError(
                f"{options.data}: speaker {speaker!r} has no embedding in the version (it knows "
                f"{sorted(voice.speakers)}); evaluate on data of the speakers it was trained on"
            )
        for k in range(options.num_images):
            torch.manual_seed(k)  # SpeechT5's prenet dropout stays on when generating
            path = options.samples_dir / f"{tag}-{i}-{k}.wav"
            write_utterance(model, voice.processor, voice.vocoder, str(row["text"]), voice.speakers[speaker],
                            hp, path)  # fmt: skip
            out.files.append(path)
            out.waves.append(soundfile.read(str(path), dtype="float32")[0])
            out.rows.append(row)
    return out


def score(
    speech: Utterances, held: list[dict[str, Any]], options: MediaEvalOptions, seed: int
) -> tuple[dict[str, float], dict[str, str], dict[str, str]]:
    """(metrics, metric -> extractor, metric -> why skipped) of one model's utterances."""
    rate = _rate(speech)
    measured: list[ExtractorScores] = []
    skipped: dict[str, str] = {}
    if options.asr:
        measured.append(intelligibility(speech, options))
    else:
        skipped["wer"] = skipped["cer"] = ASR_HINT
    speaker_source = options.speaker_encoder or options.audio_encoder
    if speaker_source:
        measured.append(speaker_similarity(speech, all_rows(options, seed), options.data, speaker_source))
    else:
        skipped["speaker_similarity"] = SPEAKER_HINT
    if not options.audio_encoder:
        skipped["fad"] = FAD_HINT
    elif min(len(held), len(speech.waves)) < 2:
        skipped["fad"] = "needs at least 2 held-out clips and 2 utterances"
    else:
        reference = _clips(options.data, held, rate)
        measured.append(
            frechet_audio_distance(
                reference, speech.waves, rate, AudioFeatures.from_pretrained(options.audio_encoder)
            )
        )
    return *combined(measured), skipped


def intelligibility(speech: Utterances, options: MediaEvalOptions) -> ExtractorScores:
    """WER/CER of ``--asr``'s transcripts of the speech against the texts it speaks."""
    from omnitune.evaluate.speech_recognition import load_trained, transcribe

    assert options.asr is not None
    asr = resolve_model(options.asr)
    model, processor = load_or_explain(f"--asr {options.asr}", lambda: load_trained(Path(asr.path)))
    rows = [{"audio": path.name} for path in speech.files]
    heard = transcribe(model, processor, options.samples_dir, rows, {}, options.max_new_tokens)
    spoken = [normalise_answer(str(row["text"])) for row in speech.rows]
    return ExtractorScores(word_error_rate([normalise_answer(t) for t in heard], spoken), asr.label)


def speaker_similarity(
    speech: Utterances, rows: list[dict[str, Any]], data: Path, source: str
) -> ExtractorScores:
    """Mean cosine of each utterance's embedding to the clips of its speaker in the data (1 = same)."""
    from omnitune.recipes.audio.speakers import speaker_of

    encoder = AudioFeatures.from_pretrained(source)
    rate = _rate(speech)
    generated = encoder.embed(speech.waves, rate)
    sims = []
    for speaker in sorted({speaker_of(row) for row in speech.rows}):
        mine = [i for i, row in enumerate(speech.rows) if speaker_of(row) == speaker]
        reference = encoder.embed(_clips(data, [r for r in rows if speaker_of(r) == speaker], rate), rate)
        sims += [mean_cosine(generated[i : i + 1], reference) for i in mine]
    return ExtractorScores({"speaker_similarity": float(np.mean(sims))}, encoder.name)


def _clips(data: Path, rows: list[dict[str, Any]], rate: int) -> list[np.ndarray]:
    from omnitune.recipes.media_inputs import load_waveform

    return [load_waveform(data, str(row["audio"]), rate) for row in rows]


def _rate(speech: Utterances) -> int:
    import soundfile

    return int(soundfile.info(str(speech.files[0])).samplerate)
