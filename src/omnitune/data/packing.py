"""Best-fit sequence packing: group examples into rows of at most ``max_len`` tokens."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Sequence


def pack_sequences(lengths: Sequence[int], max_len: int) -> list[list[int]]:
    """Best-fit decreasing: indices grouped into bins whose lengths sum to at most ``max_len``.

    An example longer than ``max_len`` gets a bin of its own (truncate it first to pack it fully).
    """
    if max_len <= 0:
        raise ValueError(f"max_len must be positive, got {max_len}")
    bins: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (remaining space, bin index), sorted
    for index in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        size = lengths[index]
        slot = bisect_left(free, (size, -1))
        if size <= max_len and slot < len(free):
            space, bin_index = free.pop(slot)  # the fullest bin that still fits it
            bins[bin_index].append(index)
            remaining = space - size
        else:
            bins.append([index])
            bin_index, remaining = len(bins) - 1, max_len - size
        if remaining > 0:
            insort(free, (remaining, bin_index))
    return bins


def packing_efficiency(lengths: Sequence[int], bins: Sequence[Sequence[int]], max_len: int) -> float:
    """Share of the packed rows' tokens that are real tokens rather than padding."""
    if not bins:
        return 0.0
    used = sum(min(sum(lengths[i] for i in b), max_len) for b in bins)
    return used / (len(bins) * max_len)
