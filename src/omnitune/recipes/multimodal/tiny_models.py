"""Tiny from-config multimodal models with processors built in memory (no Hub): tests and the demo."""

from __future__ import annotations

from typing import Any


def clip_tokenizer() -> Any:
    """A character-level CLIP BPE tokenizer (byte alphabet, every symbol also as a word end, no merges)."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    symbols = sorted(ByteLevel.alphabet())
    words = ["<|startoftext|>", "<|endoftext|>", *symbols, *(s + "</w>" for s in symbols)]
    return CLIPTokenizer(vocab={w: i for i, w in enumerate(words)}, merges=[])


def tiny_clip(overrides: dict[str, Any]) -> tuple[Any, Any]:
    """A CLIP with 2-layer, width-16 text and vision towers on 32x32 images."""
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPProcessor

    tokenizer = clip_tokenizer()
    size = int(overrides.get("image_size", 32))
    tower = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32)
    text = dict(
        tower,
        vocab_size=len(tokenizer),
        max_position_embeddings=32,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    vision = dict(tower, image_size=size, patch_size=int(overrides.get("patch_size", 8)))
    config = CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)
    images = CLIPImageProcessorPil(size={"shortest_edge": size}, crop_size={"height": size, "width": size})
    return CLIPModel(config), CLIPProcessor(image_processor=images, tokenizer=tokenizer)
