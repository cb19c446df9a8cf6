"""CLIP score of images against their prompts, over a transformers ``CLIPModel`` loaded from a directory.

Defined as torchmetrics defines it: ``100 * max(cos(image_embedding, text_embedding), 0)`` averaged
over the pairs (higher is better). Written here over ``CLIPModel`` because torchmetrics 1.9's
``CLIPScore`` breaks on transformers 5. Scores are comparable only under the same CLIP, which the
result names.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from omnitune.evaluate.frechet import ExtractorScores

CLIP_ENV = "OMNITUNE_CLIP_MODEL"
CLIP_HINT = "no CLIP model: pass --clip DIR or set OMNITUNE_CLIP_MODEL"


class ClipScorer:
    """A CLIP model and its processor, embedding images and texts into one space."""

    def __init__(self, model: Any, processor: Any, name: str) -> None:
        self.model, self.processor, self.name = model.eval(), processor, name

    @classmethod
    def from_pretrained(cls, path: str) -> ClipScorer:
        """Load ``CLIPModel`` + ``CLIPProcessor`` from a directory (or a cached Hub id)."""
        from transformers import CLIPModel, CLIPProcessor

        try:
            return cls(CLIPModel.from_pretrained(path), CLIPProcessor.from_pretrained(path), path)
        except OSError as exc:
            raise ValueError(
                f"--clip {path}: not a CLIP directory ({exc}); give a folder saved with "
                "CLIPModel.save_pretrained + CLIPProcessor.save_pretrained, e.g. openai/clip-vit-base-patch32"
            ) from None

    def image_embeddings(self, images: torch.Tensor) -> torch.Tensor:
        """Projected image embeddings (N, D) of images in [0, 1] (N, 3, H, W)."""
        pixels = (images.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
        inputs = self.processor(images=list(pixels), return_tensors="pt")
        with torch.no_grad():
            return projected(self.model.get_image_features(pixel_values=inputs["pixel_values"]))

    def text_embeddings(self, texts: list[str]) -> torch.Tensor:
        """Projected text embeddings (N, D), truncated to the text tower's length."""
        inputs = self.processor(text=texts, return_tensors="pt", padding=True, truncation=True)
        with torch.no_grad():
            return projected(
                self.model.get_text_features(
                    input_ids=inputs["input_ids"], attention_mask=inputs.get("attention_mask")
                )
            )

    def score(self, images: torch.Tensor, texts: list[str]) -> ExtractorScores:
        """CLIP score of each image against its own text, averaged."""
        if len(images) != len(texts) or not texts:
            raise ValueError(
                f"CLIP score needs one text per image (got {len(images)} images, {len(texts)} texts)"
            )
        value = clip_score_from_embeddings(self.image_embeddings(images), self.text_embeddings(texts))
        return ExtractorScores({"clip_score": value}, self.name)


def clip_score_from_embeddings(image_embeddings: torch.Tensor, text_embeddings: torch.Tensor) -> float:
    """``100 * max(cos, 0)`` of paired rows, averaged."""
    cos = torch.nn.functional.cosine_similarity(image_embeddings.double(), text_embeddings.double(), dim=-1)
    return float((100 * cos.clamp(min=0)).mean())


def clip_path(given: str | None) -> str | None:
    """The CLIP directory to score with: ``--clip``, else OMNITUNE_CLIP_MODEL, else None (skipped)."""
    return given or os.environ.get(CLIP_ENV) or None


def projected(output: Any) -> torch.Tensor:
    """The projected embeddings of a CLIP/CLAP ``get_*_features`` call."""
    # transformers 5 returns a model output whose pooler_output is the projection; 4.x a tensor
    return output if isinstance(output, torch.Tensor) else output.pooler_output
