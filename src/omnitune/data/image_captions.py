"""Caption tools: clean/normalise, trigger word, prefix/suffix, and model-based auto-captioning."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from omnitune.data.media_output import MediaDataError

DEFAULT_CAPTION_MODEL = "Salesforce/blip-image-captioning-base"
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\ufeff]")
_SPACES = re.compile(r"\s+")

CaptionFn = Callable[[list[Image.Image]], list[str]]


def clean_caption(text: str) -> str:
    """NFC-normalise, drop control/zero-width characters, collapse whitespace and duplicate tags."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    text = _SPACES.sub(" ", text).strip()
    if "," not in text:
        return text
    tags: list[str] = []
    for tag in (t.strip() for t in text.split(",")):
        if tag and tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
    return ", ".join(tags)


def compose_caption(
    caption: str, *, trigger_word: str | None = None, prefix: str = "", suffix: str = ""
) -> str:
    """Cleaned caption with the trigger word first (once) and the prefix/suffix around it."""
    text = clean_caption(caption)
    if trigger_word and not re.search(rf"(?<!\w){re.escape(trigger_word)}(?!\w)", text, re.IGNORECASE):
        text = f"{trigger_word}, {text}" if text else trigger_word
    return clean_caption(f"{prefix}{text}{suffix}")


@dataclass
class Captioner:
    """An image-to-text model with its processor; call it on a list of PIL images."""

    model: Any
    processor: Any
    tokenizer: Any = None
    max_new_tokens: int = 30
    batch_size: int = 8

    def __call__(self, images: list[Image.Image]) -> list[str]:
        """Caption ``images`` in batches with greedy decoding."""
        import torch

        decoder = self.tokenizer if self.tokenizer is not None else self.processor
        captions: list[str] = []
        for start in range(0, len(images), self.batch_size):
            batch = [image.convert("RGB") for image in images[start : start + self.batch_size]]
            inputs = self.processor(images=batch, return_tensors="pt")
            with torch.no_grad():
                output = self.model.generate(
                    pixel_values=inputs["pixel_values"], max_new_tokens=self.max_new_tokens, do_sample=False
                )
            captions += [clean_caption(t) for t in decoder.batch_decode(output, skip_special_tokens=True)]
        return captions


def resolve_model_id(model_id: str) -> str:
    """A catalog id becomes its Hub id; anything else (Hub id, local path) is used as given."""
    from omnitune.catalog.entries import get_model

    try:
        return get_model(model_id).hub_id or model_id
    except KeyError:
        return model_id


def load_captioner(model_id: str = DEFAULT_CAPTION_MODEL) -> Captioner:
    """Load a BLIP, VisionEncoderDecoder or other image-text-to-text captioner by id or path."""
    from transformers import AutoConfig

    hub_id = resolve_model_id(model_id)
    try:
        model_type = AutoConfig.from_pretrained(hub_id).model_type
        return _load_by_type(hub_id, model_type)
    except OSError as exc:
        raise MediaDataError(
            f"captioning model {hub_id!r} could not be loaded ({str(exc).splitlines()[0]}); "
            "download it once with network (HF_HUB_OFFLINE unset) or pass a local path"
        ) from exc


def _load_by_type(hub_id: str, model_type: str) -> Captioner:
    import transformers as tf

    if model_type == "blip":
        blip = tf.BlipForConditionalGeneration.from_pretrained(hub_id)
        return Captioner(blip.eval(), tf.BlipProcessor.from_pretrained(hub_id))
    if model_type == "vision-encoder-decoder":
        encoder_decoder = tf.VisionEncoderDecoderModel.from_pretrained(hub_id)
        processor = tf.AutoImageProcessor.from_pretrained(hub_id)
        return Captioner(encoder_decoder.eval(), processor, tf.AutoTokenizer.from_pretrained(hub_id))
    model = tf.AutoModelForImageTextToText.from_pretrained(hub_id)
    return Captioner(model.eval(), tf.AutoProcessor.from_pretrained(hub_id))


def auto_caption(
    images: Sequence[Image.Image], model_id: str | Captioner | CaptionFn = DEFAULT_CAPTION_MODEL
) -> list[str]:
    """Caption ``images`` with a captioning model (catalog id, Hub id, local path, or loaded Captioner)."""
    captioner = load_captioner(model_id) if isinstance(model_id, str) else model_id
    captions = captioner(list(images))
    if len(captions) != len(images):
        raise MediaDataError(f"captioner returned {len(captions)} captions for {len(images)} images")
    return captions
