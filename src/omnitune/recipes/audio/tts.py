"""Speech synthesis and voice cloning: fine-tune SpeechT5ForTextToSpeech on a speaker's clips via Trainer.

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: speech_synthesis`.
Data: family `audio`, records {"audio": rel path, "text": transcript, optional "speaker",
optional "speaker_embedding"}. Targets are the model's own log-mel features; the loss is SpeechT5's
(L1 on mels + stop-token BCE). Speaker vectors: see ``speakers.py`` (no speechbrain needed).
Reports held-out loss before/after; writes a sample utterance (`sample.wav`) through the HiFi-GAN
vocoder, and saves model + processor + vocoder + the speaker embeddings used.
"""

from __future__ import annotations

from typing import Any

import torch

from omnitune.recipes.audio.speakers import speaker_embeddings, speaker_of
from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.hf_trainer_run import run_trainer
from omnitune.recipes.media_inputs import Row, load_waveform, require, train_and_heldout
from omnitune.recipes.media_training import (
    RowsDataset,
    hyperparameters,
    resolve_model,
    trainer_callbacks,
    training_arguments,
)
from omnitune.types import Method, Modality

DEFAULTS: dict[str, Any] = {
    "learning_rate": 1e-5,
    "batch_size": 8,
    "epochs": 5,
    "max_seconds": 20.0,
    "vocoder": "microsoft/speecht5_hifigan",
    "sample_text": None,  # default: the first training transcript
    "sample_min_len_ratio": 0.0,
    "sample_max_len_ratio": 20.0,
}
SPEAKERS_FILE = "speaker_embeddings.safetensors"


class SpeechSynthesisRecipe:
    """SpeechT5 text-to-speech fine-tuning conditioned on per-speaker embeddings."""

    key = "speech_synthesis"
    modality = Modality.AUDIO
    methods = frozenset({Method.FULL_FINETUNE})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train, report held-out loss before/after, save model, vocoder, speakers and a sample WAV."""
        from safetensors.torch import save_file
        from transformers import Trainer

        hp = hyperparameters(ctx, DEFAULTS)
        torch.manual_seed(ctx.seed)
        train, held = train_and_heldout(ctx.data_dir, ctx.seed)
        require(train + held, ("audio", "text"), "speech_synthesis")
        model, processor, vocoder = load_speecht5(ctx, hp, [str(r["text"]) for r in train + held])
        speech = SpeechTargets(ctx, processor, model.config, float(hp["max_seconds"]))
        train_ex, held_ex = speech.examples(train), speech.examples(held)
        speakers = speaker_embeddings(
            train + held, [e["labels"] for e in train_ex + held_ex], model.config.speaker_embedding_dim
        )
        for row, example in zip(train + held, train_ex + held_ex, strict=True):
            example["speaker_embeddings"] = speakers[speaker_of(row)]
        before = held_out_loss(model, speech, held_ex)
        trainer = Trainer(
            model=model,
            args=training_arguments(ctx, hp),
            train_dataset=RowsDataset(train_ex),
            callbacks=trainer_callbacks(),
            data_collator=speech.collate,
        )
        outcome = run_trainer(ctx, trainer)
        if outcome.result is not None:
            return outcome.result
        after = held_out_loss(model, speech, held_ex)
        for part, where in (
            (model, ctx.output_dir),
            (processor, ctx.output_dir),
            (vocoder, ctx.output_dir / "vocoder"),
        ):
            part.save_pretrained(where)
        save_file(
            {name: vector.contiguous() for name, vector in speakers.items()},
            str(ctx.output_dir / SPEAKERS_FILE),
        )
        text, speaker = str(hp["sample_text"] or train[0]["text"]), speaker_of(train[0])
        sample = write_utterance(
            model, processor, vocoder, text, speakers[speaker], hp, ctx.output_dir / "sample.wav"
        )
        ctx.events.emit("sample", path=str(sample), text=text, speaker=speaker, kind="audio")
        metrics = {"eval_loss_before": before, "eval_loss_after": after, **outcome.metrics}
        ctx.events.emit("evaluation", **metrics)
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def load_speecht5(ctx: RecipeContext, hp: dict[str, Any], texts: list[str]) -> tuple[Any, Any, Any]:
    """(model, processor, vocoder): tiny from config, or from the Hub / a directory with a HiFi-GAN."""
    from transformers import SpeechT5ForTextToSpeech, SpeechT5HifiGan, SpeechT5Processor

    from omnitune.recipes.audio.tiny_models import tiny_speecht5

    source = resolve_model(ctx)
    if source.tiny is not None:
        return tiny_speecht5(source.tiny, texts, ctx.checkpoints_dir / "tokenizer")
    ref = str(source.ref)
    return (
        SpeechT5ForTextToSpeech.from_pretrained(ref),
        SpeechT5Processor.from_pretrained(ref),
        SpeechT5HifiGan.from_pretrained(str(hp["vocoder"])),
    )


class SpeechTargets:
    """Token ids and log-mel targets per clip, batched with -100 padding cut to the reduction factor."""

    def __init__(self, ctx: RecipeContext, processor: Any, config: Any, max_seconds: float) -> None:
        self.ctx, self.processor, self.config, self.max_seconds = ctx, processor, config, max_seconds

    def examples(self, rows: list[Row]) -> list[dict[str, Any]]:
        """One {"input_ids", "labels" (frames, mel bins)} example per row."""
        rate = self.processor.feature_extractor.sampling_rate
        out = []
        for row in rows:
            wave = load_waveform(self.ctx.data_dir, row["audio"], rate, self.max_seconds)
            target = self.processor.feature_extractor(
                audio_target=wave, sampling_rate=rate, return_tensors="pt"
            )
            mel = target["input_values"][0]  # (frames, mel bins): audio_target yields log-mels
            ids = self.processor.tokenizer(str(row["text"])).input_ids
            out.append({"input_ids": torch.tensor(ids), "labels": mel})
        return out

    def collate(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        """Padded ids + mask, -100-padded mel targets (a multiple of the reduction factor), speakers."""
        pad = self.config.pad_token_id
        ids = torch.nn.utils.rnn.pad_sequence(
            [e["input_ids"] for e in batch], batch_first=True, padding_value=pad
        )
        labels = torch.nn.utils.rnn.pad_sequence(
            [e["labels"] for e in batch], batch_first=True, padding_value=-100.0
        )
        keep = labels.shape[1] - labels.shape[1] % self.config.reduction_factor
        return {
            "input_ids": ids,
            "attention_mask": (ids != pad).long(),
            "labels": labels[:, :keep],
            "speaker_embeddings": torch.stack([e["speaker_embeddings"] for e in batch]),
        }


@torch.no_grad()
def held_out_loss(model: Any, speech: SpeechTargets, examples: list[dict[str, Any]]) -> float:
    """Mean teacher-forced SpeechT5 loss on ``examples``."""
    model.eval()
    losses = []
    for start in range(0, len(examples), 8):
        batch = {k: v.to(model.device) for k, v in speech.collate(examples[start : start + 8]).items()}
        losses.append(float(model(**batch).loss))
    model.train()
    return sum(losses) / len(losses)


@torch.no_grad()
def write_utterance(
    model: Any, processor: Any, vocoder: Any, text: str, speaker: torch.Tensor, hp: dict[str, Any], path: Any
) -> Any:
    """Synthesise ``text`` in ``speaker``'s voice and write it as a WAV with soundfile."""
    import soundfile

    model.eval()
    ids = processor.tokenizer(text, return_tensors="pt").input_ids.to(model.device)
    wave = model.generate_speech(
        ids,
        speaker[None].to(model.device),
        vocoder=vocoder.to(model.device),
        minlenratio=float(hp["sample_min_len_ratio"]),
        maxlenratio=float(hp["sample_max_len_ratio"]),
    )
    soundfile.write(str(path), wave.float().cpu().numpy(), vocoder.config.sampling_rate)
    return path
