"""Tiny from-config multimodal models with processors built in memory (no Hub): tests and the demo."""

from __future__ import annotations

from typing import Any

from omnitune.recipes.media_training import config_values


def clip_tokenizer() -> Any:
    """A character-level CLIP BPE tokenizer (byte alphabet, every symbol also as a word end, no merges)."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    symbols = sorted(ByteLevel.alphabet())
    words = ["<|startoftext|>", "<|endoftext|>", *symbols, *(s + "</w>" for s in symbols)]
    return CLIPTokenizer(vocab={w: i for i, w in enumerate(words)}, merges=[])


def tiny_clip(overrides: dict[str, Any]) -> tuple[Any, Any]:
    """A CLIP (default: 2-layer, width-16 towers on 32x32 images); text_config/vision_config override."""
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPProcessor

    tokenizer = clip_tokenizer()
    tower = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32)
    text = config_values(dict(tower, max_position_embeddings=32), overrides.get("text_config")) | dict(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    vision = config_values(dict(tower, image_size=32, patch_size=8), overrides.get("vision_config"))
    top = config_values({"projection_dim": 16}, overrides)
    top = {k: v for k, v in top.items() if k not in ("text_config", "vision_config")}
    config = CLIPConfig(text_config=text, vision_config=vision, **top)
    size = int(vision["image_size"])
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
    """A LLaVA (default: 2-layer CLIP vision tower on 32x32 + 2-layer Llama), BPE trained on ``texts``."""
    from transformers import AutoModelForImageTextToText, CLIPImageProcessorPil, LlavaConfig, LlavaProcessor

    from omnitune.recipes.llm.tokenizers import train_bpe_tokenizer

    tokenizer = train_bpe_tokenizer(texts, vocab_size=512)
    tokenizer.add_special_tokens({"additional_special_tokens": [IMAGE_TOKEN]})
    vision_defaults = dict(
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        image_size=32,
        patch_size=8,
    )
    vision = config_values(vision_defaults, overrides.get("vision_config")) | {
        "model_type": "clip_vision_model"
    }
    text_defaults = dict(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
    )
    text = config_values(text_defaults, overrides.get("text_config")) | dict(
        model_type="llama",
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
    )
    top = {k: v for k, v in config_values({}, overrides).items() if k not in ("text_config", "vision_config")}
    top |= dict(
        image_token_index=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN),
        vision_feature_select_strategy="default",
    )  # the processor below counts image tokens this way
    config = LlavaConfig(vision_config=vision, text_config=text, **top)
    size, patch = int(vision["image_size"]), int(vision["patch_size"])
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
