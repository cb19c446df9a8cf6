"""Statistics of prepared records: token-length distribution, tokens per epoch, language mix."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np


def length_stats(lengths: Sequence[int]) -> dict[str, Any]:
    """min/mean/percentiles/max/total of token lengths and a power-of-two histogram."""
    if not len(lengths):
        return {"count": 0, "total": 0}
    arr = np.asarray(lengths, dtype=np.int64)
    p50, p90, p99 = np.percentile(arr, [50, 90, 99])
    edges = [0] + [2**k for k in range(3, max(4, int(arr.max()).bit_length() + 1))]
    counts, _ = np.histogram(arr, bins=[*edges, np.inf])
    labels = [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(edges)] + [f"{edges[-1]}+"]
    return {
        "count": int(arr.size),
        "total": int(arr.sum()),
        "min": int(arr.min()),
        "mean": round(float(arr.mean()), 1),
        "p50": int(p50),
        "p90": int(p90),
        "p99": int(p99),
        "max": int(arr.max()),
        "histogram": {label: int(n) for label, n in zip(labels, counts, strict=True) if n},
    }


def summary(stats: dict[str, Any]) -> dict[str, float | int | str]:
    """The scalar statistics only (what a manifest stores)."""
    out: dict[str, float | int | str] = {}
    for key, value in stats.items():
        if isinstance(value, bool):
            out[key] = int(value)
        elif isinstance(value, int | float | str):
            out[key] = value
        elif isinstance(value, dict) and key == "tokens":
            out.update({f"tokens_{k}": v for k, v in value.items() if isinstance(v, int | float)})
        elif isinstance(value, dict) and key == "languages" and value:
            out["language"] = next(iter(value))
    return out
