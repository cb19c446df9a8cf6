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


IMAGE_TOKEN = "<image>"
# ChatML whose message content may be a list of {"type": "image"} / {"type": "text", "text": ...} parts.
VLM_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for item in message['content'] %}{% if item['type'] == 'image' %}{{ '<image>' }}"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}{% endfor %}{% endif %}"
    "{{ '<|im_end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def tiny_llava(overrides: dict[str, Any], texts: list[str]) -> tuple[Any, Any]:
    """A LLaVA: 2-layer CLIP vision tower on 32x32 images + 2-layer Llama, BPE trained on ``texts``."""
    from transformers import AutoModelForImageTextToText, CLIPImageProcessorPil, LlavaConfig, LlavaProcessor

    from omnitune.recipes.llm.tokenizers import train_bpe_tokenizer

    tokenizer = train_bpe_tokenizer(texts, vocab_size=int(overrides.get("vocab_size", 512)))
    tokenizer.add_special_tokens({"additional_special_tokens": [IMAGE_TOKEN]})
    size, patch = int(overrides.get("image_size", 32)), int(overrides.get("patch_size", 8))
    vision = dict(
        model_type="clip_vision_model",
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        image_size=size,
        patch_size=patch,
    )
    text = dict(
        model_type="llama",
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
    )
    config = LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=int(tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)),  # type: ignore[arg-type]
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
    )
    images = CLIPImageProcessorPil(size={"shortest_edge": size}, crop_size={"height": size, "width": size})
    processor = LlavaProcessor(
        image_processor=images,
        tokenizer=tokenizer,
        patch_size=patch,
        vision_feature_select_strategy="default",
        chat_template=VLM_CHAT_TEMPLATE,
        num_additional_image_tokens=1,
    )
    return AutoModelForImageTextToText.from_config(config), processor
