"""Explicit values in a request: budget, GPU, resolution, duration, sample rate, context, data path."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from omnitune.catalog.hardware import load_hardware

_NUM = r"(\d+(?:[.,]\d+)?)"
_BUDGET = [
    re.compile(rf"\$\s?{_NUM}\s*(k\b)?", re.I),
    re.compile(rf"\b{_NUM}\s*(k)?\s*(?:usd|dollars|bucks)\b", re.I),
]
_RES_WXH = re.compile(r"\b(\d{3,4})\s*[x×]\s*(\d{3,4})\b")
_RES_P = re.compile(r"\b(240|360|480|540|576|720|1080|1440|2160|4320)p\b", re.I)
_RES_NAMED = {
    "8k": "7680x4320",
    "4k": "3840x2160",
    "uhd": "3840x2160",
    "2k": "2560x1440",
    "qhd": "2560x1440",
    "full hd": "1920x1080",
    "fhd": "1920x1080",
}
_RES_NAMED_RE = re.compile(r"\b(8k|4k|uhd|2k|qhd|full hd|fhd)\b", re.I)
_DURATION = re.compile(
    rf"\b{_NUM}[\s-]*(seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h)\b(?![\w-]*\s*(?:of|on)\s+(?:training|gpu))",
    re.I,
)
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600}
_TIME_LIMIT = re.compile(
    rf"\b(?:in|within|under|less than|by)\s+(?:an?\s+|{_NUM}\s*)(hours?|hrs?|h|days?|minutes?|mins?)\b"
    r"|\bovernight\b",
    re.I,
)
_SAMPLE_RATE = re.compile(rf"\b{_NUM}\s*khz\b|\b(\d{{4,6}})\s*hz\b", re.I)
_BIT_DEPTH = re.compile(r"\b(16|24|32)[\s-]*bit\b", re.I)
_FPS = re.compile(r"\b(\d{2,3})\s*fps\b", re.I)
_CONTEXT = re.compile(
    r"\b(\d+)\s*k[\s-]*(?:tokens?|context|ctx)\b|\bcontext (?:length|window) of (\d+)", re.I
)
_GPU_COUNT = re.compile(r"\b(\d+)\s*[x×]?\s*$")
_GPU_MEMORY = re.compile(r"\b(\d{1,3})\s*gb\s*(?:of\s+)?(?:gpu|vram|card|graphics)", re.I)
_MODEL_SIZE = re.compile(r"\b(\d+(?:\.\d+)?)\s*([bm])\b(?:[\s-]*(?:param\w*|model|llm))?", re.I)
_PATH = re.compile(
    r"(?:(?<=\s)|^)((?:\.{0,2}/|~/)[\w./-]+|[\w./-]+\.(?:jsonl|json|csv|parquet|txt|zip|tar))\b"
)


@dataclass
class Explicit:
    """Values written out in the request (None when not mentioned)."""

    budget_usd: float | None = None
    gpu: str | None = None
    gpu_count: int = 1
    gpu_memory_gb: float | None = None
    resolution: str | None = None
    duration_s: float | None = None
    time_limit_h: float | None = None
    sample_rate: int | None = None
    bit_depth: int | None = None
    fps: float | None = None
    context_length: int | None = None
    data_path: str | None = None
    model_size_b: float | None = None
    constraints: list[str] = field(default_factory=list)


def _number(text: str) -> float:
    return (
        float(text.replace(",", ""))
        if text.count(",") and len(text.split(",")[-1]) == 3
        else float(text.replace(",", "."))
    )


def find_budget(text: str) -> float | None:
    """'$50', 'under 200 dollars', '$1.5k' -> US dollars."""
    for pattern in _BUDGET:
        m = pattern.search(text)
        if m:
            return _number(m.group(1)) * (1000 if m.group(2) else 1)
    return None


def find_gpu(text: str) -> tuple[str | None, int]:
    """The GPU type named (longest alias wins) and how many ('2x A100', '8 H100s')."""
    low = text.lower()
    best: tuple[int, str, int] | None = None
    for gpu in load_hardware().values():
        for alias in [gpu.id, *gpu.aliases]:
            m = re.search(rf"(?<![\w.]){re.escape(alias.lower())}s?(?![\w])", low)
            if m and (best is None or len(alias) > best[0]):
                count = _GPU_COUNT.search(low[max(0, m.start() - 6) : m.start()])
                best = (len(alias), gpu.id, int(count.group(1)) if count else 1)
    return (best[1], max(1, best[2])) if best else (None, 1)


def find_resolution(text: str) -> str | None:
    """'1024x1024', '1080p', '4K' -> 'WxH'."""
    if m := _RES_WXH.search(text):
        return f"{m.group(1)}x{m.group(2)}"
    if heights := [int(h) for h in _RES_P.findall(text)]:
        height = max(heights)  # '480p to 1080p' targets the larger
        return f"{round(height * 16 / 9)}x{height}"
    if m := _RES_NAMED_RE.search(text):
        return _RES_NAMED[m.group(1).lower()]
    return None


def find_duration(text: str) -> float | None:
    """Length of the output ('5-minute songs', '10 s clips', 'a 2-hour film') in seconds."""
    for m in _DURATION.finditer(text):
        before = text[max(0, m.start() - 12) : m.start()].lower()
        if re.search(r"\b(in|within|under|for|than|by|after)\s*$", before):
            continue  # a time limit on training, not the output's length
        return _number(m.group(1)) * _DURATION_UNITS[m.group(2)[0].lower()]
    return None


def find_time_limit(text: str) -> float | None:
    """Wall-clock limit for training ('overnight', 'in 2 hours') in hours."""
    m = _TIME_LIMIT.search(text)
    if not m:
        return None
    if m.group(0).lower() == "overnight":
        return 10.0
    amount = _number(m.group(1)) if m.group(1) else 1.0
    unit = m.group(2).lower()
    return amount * (24 if unit.startswith("d") else 1 / 60 if unit.startswith("m") else 1)


def gpu_for_memory(memory_gb: float) -> str:
    """The smallest catalog GPU with at least ``memory_gb`` (for '16GB GPU')."""
    fitting = [g for g in load_hardware().values() if g.id != "cpu" and g.memory_gb >= memory_gb]
    return min(fitting, key=lambda g: g.memory_gb).id if fitting else "b200"


def _first_int(pattern: re.Pattern[str], text: str) -> int | None:
    m = pattern.search(text)
    return int(m.group(1)) if m else None


def _sample_rate(text: str) -> int | None:
    m = _SAMPLE_RATE.search(text)
    if not m:
        return None
    return int(_number(m.group(1)) * 1000) if m.group(1) else int(m.group(2))


def _context_length(text: str) -> int | None:
    m = _CONTEXT.search(text)
    if not m:
        return None
    return int(m.group(1)) * 1024 if m.group(1) else int(m.group(2))


def extract_explicit(text: str) -> Explicit:
    """Every explicit value of the request, with a readable constraint line for each."""
    found = Explicit(budget_usd=find_budget(text), resolution=find_resolution(text))
    found.gpu, found.gpu_count = find_gpu(text)
    if found.gpu is None and (m := _GPU_MEMORY.search(text)):
        found.gpu_memory_gb = float(m.group(1))
        found.gpu = gpu_for_memory(found.gpu_memory_gb)
    found.duration_s = find_duration(text)
    found.time_limit_h = find_time_limit(text)
    found.sample_rate = _sample_rate(text)
    found.bit_depth = _first_int(_BIT_DEPTH, text)
    fps = _first_int(_FPS, text)
    found.fps = float(fps) if fps else None
    found.context_length = _context_length(text)
    if m := _PATH.search(text):
        found.data_path = m.group(1)
    if sizes := _MODEL_SIZE.findall(text):  # the last size named is the one to train ('70B into a 1B')
        number, unit = sizes[-1]
        found.model_size_b = float(number) / (1000 if unit.lower() == "m" else 1)
    found.constraints = _constraint_lines(found)
    return found


def _constraint_lines(found: Explicit) -> list[str]:
    lines = []
    if found.budget_usd is not None:
        lines.append(f"budget ${found.budget_usd:g}")
    if found.gpu:
        lines.append(f"gpu {found.gpu_count}x {found.gpu}")
    if found.time_limit_h is not None:
        lines.append(f"time limit {found.time_limit_h:g} h")
    if found.resolution:
        lines.append(f"resolution {found.resolution}")
    if found.duration_s:
        lines.append(f"output duration {found.duration_s:g} s")
    return lines
