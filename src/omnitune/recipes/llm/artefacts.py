"""Write a trained LLM in the libraries' standard layout, so it reloads with from_pretrained.

Full fine-tunes: weights + tokenizer at the top. Adapters: the peft adapter + tokenizer at the
top, ``merged/`` (adapter folded into the base) and, when the base was built from a config and so
exists nowhere else, ``base/``. ``omnitune_model.json`` records what the directory holds.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

SUMMARY_FILE = "omnitune_model.json"


def save_artefact(
    model: Any,
    tokenizer: Any,
    output_dir: Path,
    *,
    base_model: str,
    adapter: bool,
    save_base: bool = False,
    save_merged: bool = False,
    summary: dict[str, Any] | None = None,
) -> Path:
    """Save ``model`` (a peft model when ``adapter``) and its tokenizer under ``output_dir``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(output_dir)
    layout = {"weights": "adapter" if adapter else "full"}
    if not adapter:
        model.save_pretrained(output_dir)
    else:
        for config in model.peft_config.values():
            config.base_model_name_or_path = base_model
        # LoRA leaves embeddings alone; "auto" would look the base up on the Hub to check
        model.save_pretrained(output_dir, save_embedding_layers=False)
        if save_merged:
            _save_full(copy.deepcopy(model).merge_and_unload(), tokenizer, output_dir / "merged")
            layout["merged"] = "merged"
        if save_base:
            _save_full(model.unload(), tokenizer, output_dir / "base")
            layout["base"] = "base"
    record = {"base_model": base_model, "layout": layout, **(summary or {})}
    (output_dir / SUMMARY_FILE).write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    return output_dir


def _save_full(model: Any, tokenizer: Any, directory: Path) -> None:
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
