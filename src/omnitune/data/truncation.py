"""Shortening normalised records to a token budget (the `--fix truncate` option)."""

from __future__ import annotations

from typing import Any

from omnitune.data.families import record_text
from omnitune.data.tokens import TokenCounter
from omnitune.types import DataFamily


def _fit_messages(msgs: list[dict[str, Any]], budget: int, counter: TokenCounter) -> list[dict[str, Any]]:
    """Keep messages in order until ``budget`` content tokens; cut the one that overflows."""
    kept: list[dict[str, Any]] = []
    for msg, size in zip(msgs, counter.lengths([m["content"] for m in msgs]), strict=True):
        if size <= budget:
            kept.append(msg)
            budget -= size
            continue
        if budget > 0:
            kept.append({**msg, "content": counter.truncate(msg["content"], budget)})
        break
    while kept and kept[-1]["role"] != "assistant":
        kept.pop()
    return kept


def _overhead(record: dict[str, Any], family: DataFamily, counter: TokenCounter, tokenizer: Any) -> int:
    """Tokens the chat template adds around the message contents."""
    total = counter.lengths([record_text(record, family, tokenizer)])[0]
    contents = [
        m["content"] for key in ("messages", "prompt", "chosen", "completion") for m in record.get(key, [])
    ]
    return max(0, total - sum(counter.lengths(contents)))


def truncate_record(
    record: dict[str, Any], family: DataFamily, max_len: int, counter: TokenCounter, tokenizer: Any = None
) -> dict[str, Any] | None:
    """``record`` cut to at most about ``max_len`` tokens, or None when nothing useful would remain."""
    if family in (DataFamily.TEXT, DataFamily.CLASSIFICATION):
        return {**record, "text": counter.truncate(record["text"], max_len)}
    if family == DataFamily.PAIRS:  # each side is encoded on its own
        return {k: counter.truncate(v, max_len) for k, v in record.items()}
    budget = max_len - _overhead(record, family, counter, tokenizer)
    if family == DataFamily.CHAT:
        msgs = _fit_messages(record["messages"], budget, counter)
        return {"messages": msgs} if any(m["role"] == "user" for m in msgs) else None
    prompt_tokens = sum(counter.lengths([m["content"] for m in record["prompt"]]))
    if prompt_tokens >= budget:
        return None
    keys = ("chosen", "rejected") if family == DataFamily.PREFERENCE else ("completion",)
    out = dict(record)
    for key in keys:
        out[key] = _fit_messages(
            [{"role": "user", "content": ""}, *record[key]], budget - prompt_tokens, counter
        )[1:]
        if not out[key]:
            return None
    return out
