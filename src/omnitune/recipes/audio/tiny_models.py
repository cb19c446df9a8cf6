"""Tiny from-config audio models with processors built in memory (no Hub): tests and the offline demo.

Each builder takes the catalog entry's ``from_config`` overrides (any config field of the model)
and returns ``(model, processor)`` with random weights.
"""

from __future__ import annotations

from typing import Any

from omnitune.recipes.media_training import config_values, label_maps

CHARACTERS = list("abcdefghijklmnopqrstuvwxyz0123456789 .,'?!-")


def byte_level_vocab() -> dict[str, int]:
    """The 256 byte-level BPE symbols as a vocabulary (a character-level tokenizer without merges)."""
    from tokenizers.pre_tokenizers import ByteLevel

    return {symbol: i for i, symbol in enumerate(sorted(ByteLevel.alphabet()))}


def unigram_vocab(specials: list[str]) -> list[tuple[str, float]]:
    """A character Unigram vocabulary (SentencePiece style, '▁' marks a word start) after ``specials``."""
    return [(s, 0.0) for s in specials] + [(c, -1.0) for c in CHARACTERS if c != " "] + [("▁", -1.0)]


def tiny_audio_classifier(overrides: dict[str, Any], labels: list[str]) -> tuple[Any, Any]:
    """A 2-layer Audio Spectrogram Transformer (or wav2vec2 with ``model_type: wav2vec2``) classifier."""
    values = dict(overrides)
    maps = label_maps(labels)
    if values.pop("model_type", "audio-spectrogram-transformer") == "wav2vec2":
        from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2ForSequenceClassification

        w2v = dict(
            hidden_size=16,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=32,
            conv_dim=(16, 16),
            conv_stride=(5, 4),
            conv_kernel=(10, 8),
            num_conv_pos_embeddings=8,
            num_conv_pos_embedding_groups=2,
            classifier_proj_size=16,
        )
        w2v_config = Wav2Vec2Config(**{**w2v, **values, **maps})
        return Wav2Vec2ForSequenceClassification(w2v_config), Wav2Vec2FeatureExtractor(sampling_rate=16000)
    from transformers import ASTConfig, ASTFeatureExtractor, ASTForAudioClassification

    ast = dict(
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        num_mel_bins=16,
        max_length=64,
        patch_size=8,
        frequency_stride=8,
        time_stride=8,
    )
    config = ASTConfig(**{**config_values(ast, values), **maps})
    extractor = ASTFeatureExtractor(num_mel_bins=config.num_mel_bins, max_length=config.max_length)
    return ASTForAudioClassification(config), extractor


def tiny_whisper(overrides: dict[str, Any]) -> tuple[Any, Any]:
    """Whisper (default d_model 16, 2+2 layers, 16 mel bins, 1 s windows) with a byte-level tokenizer."""
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizer,
    )

    tokenizer = WhisperTokenizer(vocab=byte_level_vocab(), merges=[])
    prefix = ["<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>"]
    tokenizer.add_special_tokens({"additional_special_tokens": prefix})
    tokenizer.set_prefix_tokens(language=None, task=None, predict_timestamps=False)
    start, end = tokenizer.convert_tokens_to_ids("<|startoftranscript|>"), tokenizer.eos_token_id
    sizes = dict(
        d_model=16,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        num_mel_bins=16,
        max_source_positions=50,
        max_target_positions=64,
    )
    ids = dict(
        vocab_size=len(tokenizer),
        decoder_start_token_id=start,
        pad_token_id=end,
        bos_token_id=end,
        eos_token_id=end,
    )
    config = WhisperConfig(**{**config_values(sizes, overrides), **ids})
    # The encoder sees max_source_positions * 2 frames of 10 ms: the extractor pads clips to that length.
    seconds = config.max_source_positions * 2 // 100
    extractor = WhisperFeatureExtractor(
        feature_size=config.num_mel_bins, sampling_rate=16000, chunk_length=seconds
    )
    model = WhisperForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=start, eos_token_id=end, pad_token_id=end
    )
    return model, WhisperProcessor(feature_extractor=extractor, tokenizer=tokenizer)


def tiny_musicgen(overrides: dict[str, Any]) -> tuple[Any, Any]:
    """MusicGen (default: 1-layer T5, tiny 8 kHz EnCodec, 2 codebooks, 2-layer decoder); sections override."""
    from transformers import (
        EncodecConfig,
        EncodecFeatureExtractor,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
        T5Config,
        T5Tokenizer,
    )

    tokenizer = T5Tokenizer(vocab=unigram_vocab(["<pad>", "</s>", "<unk>"]), extra_ids=0)
    audio_defaults = dict(
        sampling_rate=8000,
        hidden_size=8,
        num_filters=4,
        num_residual_layers=1,
        upsampling_ratios=[8, 4],
        codebook_size=64,
        num_lstm_layers=1,
    )
    audio = config_values(audio_defaults, overrides.get("audio_encoder"))
    decoder_defaults = dict(
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        ffn_dim=32,
        max_position_embeddings=1024,
        num_codebooks=2,
    )
    decoder_values = config_values(decoder_defaults, overrides.get("decoder"))
    # The decoder's codebook count decides EnCodec's bandwidth (codebooks x frame rate x bits per code).
    audio |= {"chunk_length_s": None, "overlap": None}
    encodec = EncodecConfig(**audio)
    kbps = decoder_values["num_codebooks"] * encodec.frame_rate * encodec.codebook_nbits / 1000
    encodec = EncodecConfig(**audio | {"target_bandwidths": [kbps]})
    text_defaults = dict(d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2)
    text = T5Config(
        **config_values(text_defaults, overrides.get("text_encoder")) | {"vocab_size": len(tokenizer)}
    )
    codebook = encodec.codebook_size
    special: dict[str, Any] = dict(
        pad_token_id=codebook, bos_token_id=codebook, decoder_start_token_id=codebook
    )
    decoder = MusicgenDecoderConfig(**{**decoder_values, "vocab_size": codebook, **special})
    model = MusicgenForConditionalGeneration(
        MusicgenConfig(text_encoder=text, audio_encoder=encodec, decoder=decoder)
    )
    model.generation_config.update(**special)
    spread_codebooks(model.audio_encoder)
    extractor = EncodecFeatureExtractor(feature_size=1, sampling_rate=encodec.sampling_rate)
    return model, MusicgenProcessor(feature_extractor=extractor, tokenizer=tokenizer)


def spread_codebooks(codec: Any, seed: int = 0) -> None:
    """Give a from-config EnCodec codebooks drawn from its own encoder's frames of seeded noise, as
    EnCodec's k-means initialisation does from data (from config they are zeros, so every frame would
    quantise to code 0 and decode to the same sound). The fixed seed keeps the codec identical for
    every model built from the config, as a pretrained codec would be."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    seconds = 4  # enough frames to draw every code of a small codebook from
    noise = torch.randn(1, 1, codec.config.sampling_rate * seconds, generator=generator)
    with torch.no_grad():
        residual = codec.encoder(noise)[0].T  # (frames, dim)
        for layer in codec.quantizer.layers:
            book = layer.codebook
            rows = torch.randperm(residual.shape[0], generator=generator)[: book.embed.shape[0]]
            book.embed.copy_(residual[rows])
            book.embed_avg.copy_(book.embed)
            book.cluster_size.fill_(1.0)
            residual = residual - book.decode(book.encode(residual))


def char_sentencepiece(texts: list[str], directory: Any) -> Any:
    """Train a character SentencePiece model on ``texts`` (plus a basic charset) into ``directory``."""
    import io
    from pathlib import Path

    import sentencepiece

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter([*texts, "".join(CHARACTERS)]),
        model_writer=model,
        model_type="char",
        vocab_size=len(CHARACTERS) + 4,
        hard_vocab_limit=False,
        character_coverage=1.0,
        bos_id=0,
        pad_id=1,
        eos_id=2,
        unk_id=3,
        minloglevel=2,
    )  # special ids as in SpeechT5's own spm_char.model
    path = Path(directory) / "spm_char.model"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.getvalue())
    return path


def tiny_speecht5(overrides: dict[str, Any], texts: list[str], workdir: Any) -> tuple[Any, Any, Any]:
    """(SpeechT5ForTextToSpeech, processor, SpeechT5HifiGan): 2+2 layers, 16 mel bins, 8-d speakers."""
    from transformers import (
        SpeechT5Config,
        SpeechT5FeatureExtractor,
        SpeechT5ForTextToSpeech,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
        SpeechT5Processor,
        SpeechT5Tokenizer,
    )

    tokenizer = SpeechT5Tokenizer(vocab_file=str(char_sentencepiece(texts, workdir)))
    sizes: dict[str, Any] = dict(
        hidden_size=16,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        num_mel_bins=16,
        speech_decoder_prenet_units=16,
        speech_decoder_postnet_units=16,
        speech_decoder_postnet_layers=2,
        speaker_embedding_dim=8,
    )
    ids = dict(
        vocab_size=len(tokenizer), bos_token_id=0, pad_token_id=1, eos_token_id=2, decoder_start_token_id=2
    )
    config = SpeechT5Config(**{**config_values(sizes, overrides), **ids})
    vocoder = SpeechT5HifiGan(
        SpeechT5HifiGanConfig(
            model_in_dim=config.num_mel_bins,
            upsample_initial_channel=16,
            upsample_rates=[4, 4],
            upsample_kernel_sizes=[8, 8],
            resblock_kernel_sizes=[3],
            resblock_dilation_sizes=[[1, 3]],
            sampling_rate=16000,
        )
    )
    processor = SpeechT5Processor(
        feature_extractor=SpeechT5FeatureExtractor(num_mel_bins=config.num_mel_bins), tokenizer=tokenizer
    )
    return SpeechT5ForTextToSpeech(config), processor, vocoder
