"""Duplicate detection: exact (content hash) and near-duplicates (MinHash over word shingles + LSH)."""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

_PRIME = np.uint64((1 << 61) - 1)
_MAX32 = np.uint64((1 << 32) - 1)
_WORD = re.compile(r"\w+")


def content_key(record: dict[str, Any]) -> bytes:
    """A 16-byte hash of a normalised record's canonical JSON (equal records, equal keys)."""
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text_key(text)


def text_key(text: str) -> bytes:
    """A 16-byte hash of a text (the key of a record whose rendered text says all about it)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def exact_duplicates(keys: Sequence[bytes]) -> dict[int, int]:
    """{index: index of the first equal record} for every repeat."""
    first: dict[bytes, int] = {}
    repeats: dict[int, int] = {}
    for index, key in enumerate(keys):
        original = first.setdefault(key, index)
        if original != index:
            repeats[index] = original
    return repeats


def _shingles(text: str, size: int) -> np.ndarray:
    words = _WORD.findall(text.lower())
    if len(words) < size:  # short or unsegmented (e.g. CJK) text: character shingles instead
        compact = "".join(words)
        grams = {compact[i : i + size] for i in range(max(1, len(compact) - size + 1))}
    else:
        grams = {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}
    return np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams))


def minhash_signatures(
    texts: Sequence[str], num_perm: int = 64, shingle: int = 5, seed: int = 1
) -> np.ndarray:
    """One MinHash signature (``num_perm`` values) per text."""
    rng = np.random.default_rng(seed)
    # as datasketch: full-width a and b; the uint64 product wraps, which mixes the bits well
    a = rng.integers(1, int(_PRIME), size=(num_perm, 1), dtype=np.uint64)
    b = rng.integers(0, int(_PRIME), size=(num_perm, 1), dtype=np.uint64)
    out = np.empty((len(texts), num_perm), dtype=np.uint64)
    for row, text in enumerate(texts):
        hashed = _shingles(text, shingle)
        out[row] = (((a * hashed[None, :] + b) % _PRIME) & _MAX32).min(axis=1) if hashed.size else _MAX32
    return out


def near_duplicates(
    texts: Sequence[str], threshold: float = 0.85, num_perm: int = 64, bands: int = 16
) -> dict[int, int]:
    """{index: index of an earlier near-identical text} (estimated Jaccard of shingles >= threshold)."""
    sigs = minhash_signatures(texts, num_perm)
    rows = num_perm // bands
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        """The representative of i's cluster (union-find with path halving)."""
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for band in range(bands):
        buckets: dict[bytes, int] = {}
        for index in range(len(texts)):
            first = buckets.setdefault(sigs[index, band * rows : (band + 1) * rows].tobytes(), index)
            similar = first != index and float(np.mean(sigs[first] == sigs[index])) >= threshold
            if similar and root(first) != root(index):
                low, high = sorted((root(first), root(index)))
                parent[high] = low
    return {i: root(i) for i in range(len(texts)) if root(i) != i}
