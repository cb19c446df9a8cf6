"""Deterministic train/validation split by content hash: adding records never reshuffles the others."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def _unit(key: bytes, seed: int) -> float:
    digest = hashlib.blake2b(key, digest_size=8, key=seed.to_bytes(8, "little", signed=True)).digest()
    return int.from_bytes(digest, "little") / 2**64


def split_indices(
    keys: Sequence[bytes], validation_fraction: float, seed: int = 42
) -> tuple[list[int], list[int]]:
    """(train, validation) indices; each record's side depends only on its content key and the seed."""
    if not 0 <= validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    units = [_unit(k, seed) for k in keys]
    validation = [i for i, u in enumerate(units) if u < validation_fraction]
    if validation_fraction > 0 and not validation and len(keys) >= 2:
        validation = [min(range(len(keys)), key=units.__getitem__)]  # tiny sets still get one
    if validation and len(validation) == len(keys):
        validation.remove(max(validation, key=units.__getitem__))  # training needs at least one record
    chosen = set(validation)
    return [i for i in range(len(keys)) if i not in chosen], validation
