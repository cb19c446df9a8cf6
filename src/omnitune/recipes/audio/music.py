"""Music generation: fine-tune MusicGen's decoder (all weights or LoRA) on clips with text descriptions.

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: music_generation`.
Data: family `audio`, records {"audio": rel path, "text": description, ...}. Uses transformers'
``MusicgenForConditionalGeneration`` (not audiocraft): the T5 text encoder and the EnCodec audio
encoder stay frozen; each clip is encoded once into EnCodec codes, laid out in MusicGen's delay
pattern and learned with the model's own per-codebook cross-entropy. Reports held-out loss before
and after, and writes a sample clip (`sample.wav`) generated from a description after training.
"""

from __future__ import annotations

from typing import Any

import torch

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.hf_trainer_run import run_trainer
from omnitune.recipes.media_inputs import Row, load_waveform, require, train_and_heldout
from omnitune.recipes.media_training import (
    RowsDataset,
    add_lora,
    hyperparameters,
    resolve_model,
    save_transformers_artefact,
    trainer_callbacks,
    training_arguments,
    uses_lora,
)
from omnitune.types import Method, Modality

DEFAULTS: dict[str, Any] = {
    "learning_rate": 1e-5,
    "batch_size": 4,
    "epochs": 3,
    "max_seconds": 30.0,
    "sample_seconds": 5.0,
    "sample_prompt": None,  # default: the first training description
    "guidance_scale": 3.0,
}
DECODER_LORA_TARGETS = r".*decoder.*\.(q_proj|k_proj|v_proj|out_proj)"


class MusicGenerationRecipe:
    """MusicGen decoder fine-tuning on text-described clips, with a generated sample afterwards."""

    key = "music_generation"
    modality = Modality.AUDIO
    methods = frozenset({Method.FULL_FINETUNE, Method.LORA})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Train the decoder, report held-out loss before/after, save the model and a sample WAV."""
        from transformers import Trainer

        hp = hyperparameters(ctx, DEFAULTS)
        torch.manual_seed(ctx.seed)
        train, held = train_and_heldout(ctx.data_dir, ctx.seed)
        require(train + held, ("audio", "text"), "music_generation")
        model, processor, from_config = load_musicgen(ctx)
        music = MusicEncoder(ctx, model, processor, float(hp["max_seconds"]))
        held_examples = music.examples(held)
        before = held_out_loss(model, music, held_examples)
        model = _trainable(model, ctx, hp)
        args = training_arguments(ctx, hp)
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=RowsDataset(music.examples(train)),
            callbacks=trainer_callbacks(),
            data_collator=music.collate,
        )
        outcome = run_trainer(ctx, trainer)
        if outcome.result is not None:
            return outcome.result
        after = held_out_loss(model, music, held_examples)
        save_transformers_artefact(model, processor, ctx.output_dir, from_config)
        prompt = hp["sample_prompt"] or str(train[0]["text"])
        sample = write_sample(model, processor, prompt, hp, ctx.output_dir / "sample.wav")
        ctx.events.emit("sample", path=str(sample), prompt=prompt, kind="audio")
        metrics = {"eval_loss_before": before, "eval_loss_after": after, **outcome.metrics}
        ctx.events.emit("evaluation", **metrics)
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def load_musicgen(ctx: RecipeContext) -> tuple[Any, Any, bool]:
    """(model, processor, built_from_config) for a mono MusicGen."""
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    from omnitune.recipes.audio.tiny_models import tiny_musicgen

    source = resolve_model(ctx)
    if source.tiny is not None:
        tiny, processor = tiny_musicgen(source.tiny)
        return tiny, processor, True
    model: Any = MusicgenForConditionalGeneration.from_pretrained(str(source.ref))
    if model.config.decoder.audio_channels != 1:
        raise ValueError(
            f"{source.ref}: stereo MusicGen is not supported by this recipe; use a mono "
            "checkpoint such as facebook/musicgen-small or facebook/musicgen-melody"
        )
    return model, AutoProcessor.from_pretrained(str(source.ref)), False


def _trainable(model: Any, ctx: RecipeContext, hp: dict[str, Any]) -> Any:
    # The text encoder and EnCodec are conditioning and tokenizer: only the decoder learns.
    model.text_encoder.requires_grad_(False)
    model.audio_encoder.requires_grad_(False)
    if uses_lora(ctx):
        return add_lora(model, hp, DECODER_LORA_TARGETS)
    return model


class MusicEncoder:
    """Encodes clips into EnCodec codes once and batches them as delay-pattern labels + text inputs."""

    def __init__(self, ctx: RecipeContext, model: Any, processor: Any, max_seconds: float) -> None:
        self.ctx, self.model, self.processor, self.max_seconds = ctx, model, processor, max_seconds
        self.pad = int(model.generation_config.pad_token_id)

    @torch.no_grad()
    def examples(self, rows: list[Row]) -> list[dict[str, Any]]:
        """One {"codes": (codebooks, frames), "text"} example per row."""
        extractor = self.processor.feature_extractor
        out = []
        for row in rows:
            wave = load_waveform(self.ctx.data_dir, row["audio"], extractor.sampling_rate, self.max_seconds)
            inputs = extractor(wave, sampling_rate=extractor.sampling_rate, return_tensors="pt")
            encoded = self.model.audio_encoder.encode(inputs["input_values"].to(self.model.device))
            out.append({"codes": encoded.audio_codes[0, 0].cpu(), "text": str(row["text"])})
        return out

    def collate(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        """Tokenised descriptions and (batch, steps, codebooks) labels in the delay pattern."""
        text = self.processor.tokenizer([e["text"] for e in batch], padding=True, return_tensors="pt")
        delayed = [delay_pattern(e["codes"], self.pad) for e in batch]
        width = max(labels.shape[0] for labels in delayed)
        labels = torch.full((len(batch), width, delayed[0].shape[1]), self.pad, dtype=torch.long)
        for i, one in enumerate(delayed):
            labels[i, : one.shape[0]] = one
        return {"input_ids": text.input_ids, "attention_mask": text.attention_mask, "labels": labels}


def delay_pattern(codes: torch.Tensor, pad: int) -> torch.Tensor:
    """(codebooks, frames) codes -> (frames + codebooks - 1, codebooks), codebook k shifted by k steps.

    MusicGen predicts codebook k of frame t at step t + k; the padding positions hold ``pad``, which
    the model's loss ignores.
    """
    codebooks, frames = codes.shape
    labels = torch.full((frames + codebooks - 1, codebooks), pad, dtype=torch.long)
    for k in range(codebooks):
        labels[k : k + frames, k] = codes[k]
    return labels


@torch.no_grad()
def held_out_loss(model: Any, music: MusicEncoder, examples: list[dict[str, Any]]) -> float:
    """Mean teacher-forced loss on ``examples``."""
    model.eval()
    losses = []
    for start in range(0, len(examples), 4):
        batch = {k: v.to(model.device) for k, v in music.collate(examples[start : start + 4]).items()}
        losses.append(float(model(**batch).loss))
    model.train()
    return sum(losses) / len(losses)


@torch.no_grad()
def write_sample(model: Any, processor: Any, prompt: str, hp: dict[str, Any], path: Any) -> Any:
    """Generate ``sample_seconds`` of audio for ``prompt`` and write it as a WAV with soundfile."""
    import soundfile

    model.eval()
    inputs = processor(text=[prompt], padding=True, return_tensors="pt").to(model.device)
    audio_config = model.config.audio_encoder
    steps = max(1, int(float(hp["sample_seconds"]) * audio_config.frame_rate))
    audio = model.generate(
        **inputs, do_sample=True, guidance_scale=float(hp["guidance_scale"]), max_new_tokens=steps
    )
    soundfile.write(str(path), audio[0, 0].float().cpu().numpy(), audio_config.sampling_rate)
    return path
