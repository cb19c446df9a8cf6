"""Format detection: which known layout a set of records has, with a confidence and the evidence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from omnitune.data.converters import CONVERTERS
from omnitune.types import DataFamily

SAMPLE_SIZE = 200
_BOOLISH = {"true", "false", "1", "0", "yes", "no"}


def _first_item(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else None


def _is_openai(r: dict[str, Any]) -> bool:
    item = _first_item(r.get("messages"))
    return r.get("messages") == [] or (isinstance(item, dict) and "role" in item)


def _is_sharegpt(r: dict[str, Any]) -> bool:
    item = _first_item(r.get("conversations", r.get("messages")))
    return isinstance(item, dict) and "from" in item


def _is_kto(r: dict[str, Any]) -> bool:
    label = r.get("label")
    boolish = isinstance(label, bool) or str(label).strip().lower() in _BOOLISH
    return "prompt" in r and "completion" in r and boolish


# Most specific first: a record is counted for the first layout it matches.
DETECTORS: tuple[tuple[str, Callable[[dict[str, Any]], bool], str], ...] = (
    ("preference", lambda r: "chosen" in r and "rejected" in r, "'chosen' and 'rejected'"),
    ("kto", _is_kto, "'prompt', 'completion' and a boolean 'label'"),
    ("openai", _is_openai, "'messages' as a list of {role, content}"),
    ("sharegpt", _is_sharegpt, "'conversations' as a list of {from, value}"),
    (
        "alpaca",
        lambda r: "instruction" in r and ("output" in r or "response" in r),
        "'instruction' and 'output'",
    ),
    (
        "prompt_completion",
        lambda r: "prompt" in r and ("completion" in r or "response" in r),
        "'prompt' and 'completion'",
    ),
    ("classification", lambda r: "text" in r and "label" in r, "'text' and 'label'"),
    ("pairs", lambda r: "anchor" in r and "positive" in r, "'anchor' and 'positive'"),
    ("text", lambda r: "text" in r or "content" in r, "'text'"),
)


def matching_format(record: dict[str, Any]) -> str | None:
    """The first (most specific) format whose layout this one record has."""
    return next((name for name, test, _ in DETECTORS if test(record)), None)


FORMAT_TESTS = {name: test for name, test, _ in DETECTORS}


@dataclass
class Detection:
    """The detected format of some records, or None with the reason."""

    format: str | None
    family: DataFamily | None
    confidence: float
    evidence: list[str] = field(default_factory=list)


def _details(fmt: str, sample: Sequence[dict[str, Any]]) -> list[str]:
    """Extra evidence: roles or speakers seen, label values, list-vs-string fields."""
    if fmt in ("openai", "sharegpt"):
        key, who = ("messages", "role") if fmt == "openai" else ("conversations", "from")
        seen = Counter(
            m.get(who) for r in sample for m in (r.get(key) or r.get("messages") or []) if isinstance(m, dict)
        )
        tools = sum(
            1 for r in sample for m in (r.get(key) or []) if isinstance(m, dict) and m.get("tool_calls")
        )
        out = [f"{who}s seen: " + ", ".join(f"{k} ({v})" for k, v in seen.most_common())]
        return out + ([f"messages with tool calls: {tools}"] if tools else [])
    if fmt in ("kto", "classification"):
        labels = Counter(str(r.get("label")) for r in sample)
        return ["labels seen: " + ", ".join(f"{k} ({v})" for k, v in labels.most_common(8))]
    if fmt == "preference":
        kind = "message lists" if any(isinstance(r.get("chosen"), list) for r in sample) else "strings"
        prompt = (
            "explicit prompt" if any("prompt" in r for r in sample) else "implicit prompt (shared prefix)"
        )
        return [f"chosen/rejected given as {kind}, {prompt}"]
    return []


def detect_format(records: Sequence[dict[str, Any]], corpus: bool = False) -> Detection:
    """Detect the layout of the first SAMPLE_SIZE records (``corpus``: plain .txt/.md text)."""
    if corpus:
        return Detection("text", DataFamily.TEXT, 1.0, ["plain-text corpus files (.txt/.md)"])
    sample = list(records[:SAMPLE_SIZE])
    if not sample:
        return Detection(None, None, 0.0, ["no readable records"])
    votes: Counter[str] = Counter()
    for record in sample:
        name = matching_format(record)
        if name:
            votes[name] += 1
    if not votes:
        columns = sorted({k for r in sample for k in r})
        return Detection(None, None, 0.0, [f"columns: {', '.join(columns)}; none matches a known format"])
    fmt, count = votes.most_common(1)[0]
    described = next(d for n, _, d in DETECTORS if n == fmt)
    evidence = [f"{count}/{len(sample)} sampled records have {described}", *_details(fmt, sample)]
    evidence += [f"{n}/{len(sample)} look like {other}" for other, n in votes.items() if other != fmt]
    return Detection(fmt, CONVERTERS[fmt][0], round(count / len(sample), 3), evidence)


def mapping_hint(columns: Sequence[str]) -> str:
    """How to map unknown columns onto a known format."""
    cols = ", ".join(columns) or "none"
    return (
        f"columns found: {cols}. Map them to a known layout, e.g. --map question=prompt "
        "--map answer=completion (formats: alpaca, sharegpt, openai messages, prompt/completion, "
        "preference, kto, text/label, anchor/positive, text)"
    )
