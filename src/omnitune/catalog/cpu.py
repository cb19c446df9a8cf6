"""What this machine's CPU can do, read from /proc/cpuinfo without importing torch (the planner's path)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

# bf16 dot products in hardware (AMD Zen 4+, Intel Cooper Lake and Sapphire Rapids+)
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@cache
def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The feature flags of the first CPU listed (empty where /proc/cpuinfo is absent)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def cpu_bf16_flags() -> list[str]:
    """The flags that make bf16 matmuls native on this CPU (empty: bf16 would be emulated, slowly)."""
    return [flag for flag in BF16_FLAGS if flag in cpu_flags()]
