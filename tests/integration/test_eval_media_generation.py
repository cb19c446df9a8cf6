"""`omnitune eval` on generating media versions: a SpeechT5 voice (WER by a tiny Whisper, speaker similarity
and FAD by a tiny wav2vec2), a MusicGen LoRA (FAD, CLAP score by a tiny CLAP), a Wan video LoRA (frame
FID/KID, temporal consistency, CLIP score by a tiny CLIP) and a ControlNet (edge F1, CLIP score), each
against its rebuilt base, samples saved beside the report, missing scorers named with what to pass."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch
from image_helpers import TINY_HP, make_context, pattern_image, save_tiny_pipeline, write_image_dataset
from media_helpers import make_ctx, one_thread, write_frames, write_prepared, write_tone  # noqa: F401
from PIL import ImageOps
from test_eval_media_more import _catalog_config, _eval, _register

from omnitune.types import DataFamily, Method, Modality

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


def _saved(directory: Path, model: Any, processor: Any) -> str:
    model.save_pretrained(directory)
    processor.save_pretrained(directory)
    return str(directory)


def _wav2vec2(root: Path) -> str:
    from omnitune.recipes.audio.tiny_models import tiny_audio_classifier

    torch.manual_seed(0)
    return _saved(root / "wav2vec2", *tiny_audio_classifier({"model_type": "wav2vec2"}, ["a", "b"]))


def _xvector(root: Path) -> str:
    from transformers import Wav2Vec2FeatureExtractor, WavLMConfig, WavLMForXVector

    sizes = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                 conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 8), num_conv_pos_embeddings=8,
                 num_conv_pos_embedding_groups=2, tdnn_dim=(16, 16), tdnn_kernel=(3, 1), tdnn_dilation=(1, 1),
                 xvector_output_dim=8, num_buckets=8, max_bucket_distance=16)  # fmt: skip
    torch.manual_seed(0)
    return _saved(root / "xvector", WavLMForXVector(WavLMConfig(**sizes)), Wav2Vec2FeatureExtractor())


def _clip(root: Path) -> str:
    from omnitune.recipes.multimodal.tiny_models import tiny_clip

    torch.manual_seed(0)
    return _saved(root / "clip", *tiny_clip({}))


def _clap(root: Path) -> str:
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor, RobertaTokenizer

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    words = [*specials, *sorted(ByteLevel.alphabet())]
    tokenizer = RobertaTokenizer(vocab={w: i for i, w in enumerate(words)}, merges=[])
    text = dict(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                intermediate_size=32, max_position_embeddings=64, projection_hidden_size=16)  # fmt: skip
    audio = dict(hidden_size=16, patch_embeds_hidden_size=8, depths=[1, 1], num_attention_heads=[2, 2],
                 window_size=4, spec_size=64, num_mel_bins=64, patch_size=4, patch_stride=[4, 4],
                 projection_hidden_size=16)  # fmt: skip
    torch.manual_seed(0)
    model = ClapModel(ClapConfig(text_config=text, audio_config=audio, projection_dim=16))
    extractor = ClapFeatureExtractor(feature_size=64, sampling_rate=16000, max_length_s=1,
                                     truncation="rand_trunc", padding="repeatpad")  # fmt: skip
    return _saved(root / "clap", model, ClapProcessor(feature_extractor=extractor, tokenizer=tokenizer))


def _files(report: dict[str, Any]) -> list[Path]:
    root = Path(report["samples_dir"]).parent
    files = [root / s["prediction"] for s in report["samples"]]
    return files + [root / s["baseline_prediction"] for s in report["samples"] if s["baseline_prediction"]]


def _check(report: dict[str, Any], measured: set[str], suffix: str) -> None:
    assert set(report["metrics"]) == set(report["baseline_metrics"]) == measured
    assert all(math.isfinite(v) for v in [*report["metrics"].values(), *report["baseline_metrics"].values()])
    assert set(report["extractors"]) == measured and report["skipped"] == {}
    files = _files(report)
    assert files and all(f.is_file() and f.suffix == suffix and f.stat().st_size > 0 for f in files)


def _spoken(root: Path) -> Path:
    lines = ["hello there", "good morning", "see you soon", "thank you", "how are you", "fine thanks"]
    rows = [{"audio": write_tone(root / "audio" / f"{i}.wav", 180 if i % 2 else 320, 0.4), "text": text,
             "speaker": "ann" if i % 2 else "bob"} for i, text in enumerate(lines)]  # fmt: skip
    return write_prepared(root, Modality.AUDIO, DataFamily.AUDIO, rows[:4], rows[4:])


def test_eval_speech_synthesis_version(tmp_path: Path) -> None:
    from omnitune.recipes.audio.tiny_models import tiny_whisper
    from omnitune.recipes.registry import get_recipe

    data, base = _spoken(tmp_path / "data"), "omnitune/tiny-speecht5"
    hp = {"learning_rate": 3e-3, "batch_size": 4, "max_steps": 2, "sample_min_len_ratio": 1.0,
          "sample_max_len_ratio": 3.0}  # fmt: skip
    ctx, _ = make_ctx(tmp_path, data, recipe="speech_synthesis", method=Method.FULL_FINETUNE,
                      hyperparameters=hp, from_config=_catalog_config(base))  # fmt: skip
    assert get_recipe("speech_synthesis").run(ctx).status == "completed"
    _register(ctx.output_dir, "voice", base, "full_finetune", "speech_synthesis", ctx.plan)
    whisper, encoder, speakers = (
        _saved(tmp_path / "whisper", *tiny_whisper({})),
        _wav2vec2(tmp_path),
        _xvector(tmp_path),
    )

    report = _eval("voice", "--data", str(data), "--against", "base", "--asr", whisper, "--audio-encoder",
                   encoder, "--speaker-encoder", speakers, "--gate", "cer >= 0")  # fmt: skip
    _check(report, {"wer", "cer", "speaker_similarity", "fad"}, ".wav")
    assert report["extractors"]["wer"] == whisper and report["extractors"]["fad"] == encoder
    assert report["extractors"]["speaker_similarity"] == speakers  # an x-vector model's speaker embedding
    assert -1 <= report["metrics"]["speaker_similarity"] <= 1 and report["passed"] is True
    assert report["against"] == base and report["examples"] == 2 and len(report["samples"]) == 4
    assert {s["prompt"] for s in report["samples"]} == {"how are you", "fine thanks"}

    bare = _eval("voice", "--data", str(data), "--num-images", "1")
    assert bare["metrics"] == {} and set(bare["skipped"]) == {"wer", "cer", "speaker_similarity", "fad"}
    assert "--asr" in bare["skipped"]["wer"] and "--speaker-encoder" in bare["skipped"]["speaker_similarity"]


def test_eval_music_generation_version_and_a_failing_gate(tmp_path: Path) -> None:
    from omnitune.recipes.registry import get_recipe

    root, base = tmp_path / "data", "omnitune/tiny-musicgen"
    rows = [{"audio": write_tone(root / "audio" / f"{i}.wav", 220 * (1 + i % 3), 0.2),
             "text": f"calm tone number {i % 3}"} for i in range(6)]  # fmt: skip
    data = write_prepared(root, Modality.AUDIO, DataFamily.AUDIO, rows[:4], rows[4:])
    hp = {"learning_rate": 5e-3, "batch_size": 4, "max_steps": 2, "sample_seconds": 0.05, "lora_r": 4}
    ctx, _ = make_ctx(tmp_path, data, recipe="music_generation", method=Method.LORA, hyperparameters=hp,
                      from_config=_catalog_config(base))  # fmt: skip
    assert get_recipe("music_generation").run(ctx).status == "completed"
    _register(ctx.output_dir, "tune", base, "lora", "music_generation", ctx.plan)

    report = _eval("tune", "--data", str(data), "--against", "base", "--num-images", "1", "--clap",
                   _clap(tmp_path), "--audio-encoder", _wav2vec2(tmp_path), "--gate", "fad must drop 1000%",
                   exit_codes=(2,))  # fmt: skip
    _check(report, {"fad", "clap_score"}, ".wav")
    assert 0 <= report["metrics"]["clap_score"] <= 100 and report["against"] == "tune:v1 base"
    assert report["passed"] is False and "fad" in report["gates"][0]["detail"]
    bare = _eval("tune", "--data", str(data), "--num-images", "1", "--limit", "1")
    assert set(bare["skipped"]) == {"fad", "clap_score"} and "--clap" in bare["skipped"]["clap_score"]


@pytest.mark.parametrize("image_to_video", [False, True], ids=["t2v", "i2v"])
def test_eval_video_lora_version(tmp_path: Path, image_to_video: bool) -> None:
    from omnitune.recipes.registry import get_recipe

    root, base = tmp_path / "data", "omnitune/tiny-wan"
    colours = [(200, 30, 30), (30, 30, 200), (30, 200, 30), (200, 200, 30)]
    rows = [{"video": write_frames(root / "videos" / f"{i}", 5, 32, rgb, moving=i % 2 == 0),
             "text": f"a clip in colour {i}"} for i, rgb in enumerate(colours)]  # fmt: skip
    data = write_prepared(root, Modality.VIDEO, DataFamily.VIDEO, rows[:2], rows[2:])
    hp = {"learning_rate": 1e-2, "batch_size": 2, "max_steps": 2, "lora_r": 4, "sample_steps": 1}
    config = _catalog_config(base) | {"image_to_video": image_to_video}  # I2V: from each clip's first frame
    ctx, _ = make_ctx(tmp_path, data, recipe="video_lora", method=Method.LORA, hyperparameters=hp,
                      from_config=config)  # fmt: skip
    assert get_recipe("video_lora").run(ctx).status == "completed"
    _register(ctx.output_dir, "clips", base, "lora", "video_lora", ctx.plan)
    pipeline = (ctx.output_dir / "base" / "model_index.json").read_text(encoding="utf-8")
    assert ("WanImageToVideoPipeline" in pipeline) is image_to_video

    report = _eval("clips", "--data", str(data), "--against", "base", "--num-images", "1", "--clip",
                   _clip(tmp_path), "--gate", "temporal_consistency <= 1.0001")  # fmt: skip
    _check(report, {"clip_score", "frame_fid", "frame_kid", "temporal_consistency"}, ".mp4")
    assert report["passed"] is True and report["against"] == base
    assert report["metrics"] != report["baseline_metrics"]  # the LoRA changed what it samples


def test_eval_controlnet_version(tmp_path: Path) -> None:
    from omnitune.evaluate.image_metrics import edge_f1, load_images
    from omnitune.recipes.registry import get_recipe

    base = save_tiny_pipeline(tmp_path / "sd")
    images = [pattern_image(i % 2, (32, 32), i) for i in range(4)]
    rows = [
        {
            "file_name": image,
            "text": "stripes",
            "conditioning_file_name": ImageOps.grayscale(image).convert("RGB"),
        }
        for image in images
    ]
    data = write_image_dataset(tmp_path / "data", rows)
    ctx, _ = make_context(tmp_path, base, data, "image_controlnet", Method.CONTROLNET,
                          {**TINY_HP, "learning_rate": 3e-3}, max_steps=2)  # fmt: skip
    assert get_recipe("image_controlnet").run(ctx).status == "completed"
    _register(ctx.output_dir, "edges", str(base), "controlnet", "image_controlnet", ctx.plan)

    report = _eval("edges", "--data", str(data), "--against", "base", "--num-images", "1", "--steps", "2",
                   "--limit", "2", "--clip", _clip(tmp_path), "--gate", "edge_f1 must rise 0",
                   exit_codes=(0, 2))  # fmt: skip
    _check(report, {"edge_f1", "clip_score"}, ".png")
    own, before = report["metrics"]["edge_f1"], report["baseline_metrics"]["edge_f1"]
    assert 0 <= own <= 1 and 0 <= before <= 1 and report["passed"] is (own >= before)
    assert report["samples"][0]["reference"].endswith("conditioning_file_name.png")
    conditions = load_images([data / r for r in ("images/0000-conditioning_file_name.png",) * 2], size=32)
    assert edge_f1(conditions, conditions).values["edge_f1"] == 1.0  # an output that is its condition
    assert edge_f1(conditions, torch.full_like(conditions, 0.5)).values["edge_f1"] == 0.0  # a flat one
