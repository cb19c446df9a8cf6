"""Catalog entries: one typed record per base model, loaded from `models.yaml`."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, Field

from omnitune.types import Method, Modality, RecipeKey, Task


class CatalogModel(BaseModel):
    """A base model omnitune knows how to train."""

    id: str = Field(..., description="Catalog id used in plans, e.g. 'llama-3.1-8b-instruct'.")
    hub_id: str | None = Field(None, description="Hugging Face Hub id; None for from-config models.")
    name: str
    modality: Modality
    tasks: list[Task]
    params_b: float = Field(..., description="Parameters in billions.")
    license: str
    library: str = Field(..., description="transformers | diffusers | sentence-transformers ...")
    architecture: str = Field("", description="e.g. 'LlamaForCausalLM', 'UNet2DConditionModel'.")
    methods: list[Method]
    recipe: RecipeKey
    min_vram_gb: float = Field(0.0, description="Least GPU memory that trains it (lightest method).")
    from_config: dict[str, Any] | None = Field(
        None, description="Config to build the model with random weights (tiny test/demo models)."
    )
    trainable: bool = Field(True, description="False when no maintained library can train it.")
    nearest_trainable: str | None = Field(
        None, description="Catalog id of the closest trainable route when `trainable` is false."
    )
    aux_params_b: float = Field(
        0.0, description="Frozen companions loaded beside it (text encoders, VAE), billions of params."
    )
    notes: str = ""


@lru_cache(maxsize=1)
def load_models() -> dict[str, CatalogModel]:
    """All catalog entries by id, validated."""
    text = resources.files("omnitune.catalog").joinpath("models.yaml").read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or []
    models = [CatalogModel.model_validate(entry) for entry in raw]
    return {m.id: m for m in models}


def get_model(model_id: str) -> CatalogModel:
    """The catalog entry for ``model_id``, or a KeyError that suggests close ids."""
    models = load_models()
    if model_id in models:
        return models[model_id]
    by_hub = {m.hub_id: m for m in models.values() if m.hub_id}
    if model_id in by_hub:
        return by_hub[model_id]
    import difflib

    close = difflib.get_close_matches(model_id, list(models), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see `omnitune catalog list`"
    raise KeyError(f"unknown model {model_id!r}{hint}")
