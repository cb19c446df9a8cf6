"""Reading a prepared dataset for the text recipes: manifest check, JSONL records, a held-out split."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from omnitune.data.manifest import DatasetManifest
from omnitune.types import DataFamily

Record = dict[str, Any]


def read_jsonl(path: Path) -> list[Record]:
    """Every JSON object of a JSONL file; a bad line names the file and line number."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
    return records


def load_prepared(data_dir: Path, family: DataFamily) -> tuple[list[Record], list[Record] | None]:
    """Train and (if prepared) validation records of a dataset that must have ``family``."""
    manifest = DatasetManifest.read(data_dir)
    if manifest.family is not family:
        raise ValueError(
            f"{data_dir}/manifest.json: family is {manifest.family.value!r}, this recipe needs "
            f"{family.value!r}; prepare the data in that shape (see docs/recipes)"
        )
    train_split = manifest.splits.get("train")
    if train_split is None:
        raise ValueError(f"{data_dir}/manifest.json: no 'train' split")
    train = read_jsonl(data_dir / train_split.file)
    held = manifest.splits.get("validation")
    validation = read_jsonl(data_dir / held.file) if held else None
    return train, validation


def train_and_heldout(
    data_dir: Path, family: DataFamily, seed: int, fraction: float = 0.2
) -> tuple[list[Record], list[Record]]:
    """Train records and held-out records: the validation split, else a seeded slice of train."""
    train, validation = load_prepared(data_dir, family)
    if validation:
        return train, validation
    if len(train) < 5:
        raise ValueError(f"{data_dir}: {len(train)} training records; need at least 5 to hold some out")
    shuffled = train[:]
    random.Random(seed).shuffle(shuffled)
    cut = max(1, int(len(shuffled) * fraction))
    return shuffled[cut:], shuffled[:cut]


def require_fields(records: list[Record], fields: tuple[str, ...], where: str) -> None:
    """Raise naming the first record (1-based) that lacks one of ``fields``."""
    for number, record in enumerate(records, start=1):
        missing = [name for name in fields if record.get(name) in (None, "")]
        if missing:
            raise ValueError(f"{where} record {number}: missing {', '.join(missing)}; expected {fields}")
