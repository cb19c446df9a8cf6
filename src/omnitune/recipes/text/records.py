"""Reading a prepared dataset for the text recipes: family check, records, a held-out split."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from omnitune.data.manifest import DatasetManifest
from omnitune.recipes.llm.sft_data import read_records
from omnitune.types import DataFamily

Record = dict[str, Any]


def train_and_heldout(
    data_dir: Path, family: DataFamily, seed: int, fraction: float = 0.2
) -> tuple[list[Record], list[Record]]:
    """Train records and held-out records: the validation split, else a seeded slice of train."""
    manifest = DatasetManifest.read(data_dir)
    if manifest.family is not family:
        raise ValueError(
            f"{data_dir}/manifest.json: family is {manifest.family.value!r}, this recipe needs "
            f"{family.value!r}; see docs/recipes/llm-alignment.md for the record shape"
        )
    train, validation = read_records(data_dir, "train"), read_records(data_dir, "validation")
    if validation:
        return train, validation
    if len(train) < 5:
        raise ValueError(f"{data_dir}: {len(train)} training records; need at least 5 to hold some out")
    shuffled = random.Random(seed).sample(train, len(train))
    cut = max(1, int(len(shuffled) * fraction))
    return shuffled[cut:], shuffled[:cut]


def require_fields(records: list[Record], fields: tuple[str, ...], where: str) -> None:
    """Raise naming the first record (1-based) that lacks one of ``fields``."""
    for number, record in enumerate(records, start=1):
        missing = [name for name in fields if record.get(name) in (None, "")]
        if missing:
            raise ValueError(f"{where} record {number}: missing {', '.join(missing)}; expected {fields}")
