"""Every tiny audio/video/multimodal catalog entry builds through its recipe's tiny builder (no training)."""

from __future__ import annotations

from pathlib import Path

from omnitune.catalog.entries import get_model
from omnitune.recipes.audio.tiny_models import (
    tiny_audio_classifier,
    tiny_musicgen,
    tiny_speecht5,
    tiny_whisper,
)
from omnitune.recipes.multimodal.tiny_models import tiny_clip, tiny_llava
from omnitune.recipes.video.tiny_models import (
    tiny_video_defaults,
    tiny_video_pipeline,
    tiny_videomae,
    tiny_wan_pipeline,
)


def _config(model_id: str) -> dict:
    entry = get_model(model_id)
    assert entry.from_config is not None
    return dict(entry.from_config)


def test_audio_entries_build(tmp_path: Path) -> None:
    whisper, processor = tiny_whisper(_config("omnitune/tiny-whisper"))
    assert whisper.config.d_model == 32 and processor.feature_extractor.feature_size == 80
    assert processor.feature_extractor.nb_max_frames == whisper.config.max_source_positions * 2
    musicgen, _ = tiny_musicgen(_config("omnitune/tiny-musicgen"))
    assert musicgen.config.audio_encoder.num_quantizers == musicgen.decoder.num_codebooks == 2
    _, speech_processor, vocoder = tiny_speecht5(_config("omnitune/tiny-speecht5"), ["hi"], tmp_path)
    assert speech_processor.feature_extractor.num_mel_bins == vocoder.config.model_in_dim == 80
    ast, extractor = tiny_audio_classifier(_config("omnitune/tiny-ast"), ["a", "b"])
    assert extractor.num_mel_bins == ast.config.num_mel_bins and ast.config.num_labels == 2


def test_video_and_multimodal_entries_build() -> None:
    wan = _config("omnitune/tiny-wan")
    pipe = tiny_wan_pipeline(wan)
    assert pipe.transformer.config.text_dim == pipe.text_encoder.config.d_model
    assert tiny_video_defaults(wan)["height"] == 32
    animate = tiny_video_pipeline(_config("omnitune/tiny-wan-i2v"))
    assert type(animate).__name__ == "WanImageToVideoPipeline"
    assert animate.image_encoder.config.image_size == tiny_video_defaults(wan)["height"]
    videomae, _ = tiny_videomae(_config("omnitune/tiny-videomae"), ["x", "y"])
    assert videomae.config.num_frames == 4
    clip, clip_processor = tiny_clip(_config("omnitune/tiny-clip"))
    assert clip.config.projection_dim == 32 and clip_processor.image_processor.crop_size["height"] == 32
    llava, llava_processor = tiny_llava(_config("omnitune/tiny-vlm"), ["what colour", "red"])
    assert llava.config.image_token_index == llava_processor.tokenizer.convert_tokens_to_ids("<image>")
