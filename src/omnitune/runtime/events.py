"""`events.jsonl`: append-only, one JSON object per line with `ts` and `event`.

Several processes append to the same file (the worker, and the CLI recording a pause
request), so each event is a single `write()` on an O_APPEND descriptor.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Events worth indexing in the store; per-step metrics stay only in the file.
INDEXED_EVENTS = frozenset(
    {
        "state",
        "budget_alert",
        "budget_raised",
        "result",
        "error",
        "adopted",
        "registered",
        "mirrored",
        "warning",
    }
)


def now_iso() -> str:
    """The current UTC time as an ISO 8601 string (the `ts` of every event)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def append_event(path: Path, event: str, /, **fields: Any) -> dict[str, Any]:
    """Append one event line and flush it to disk; returns the record written."""
    record = json_safe({"ts": now_iso(), "event": event, **fields})
    line = (json.dumps(record, default=_jsonable, allow_nan=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # a writer was killed mid-line: never glue onto its torn line
        os.write(fd, line)
        if event in INDEXED_EVENTS:  # a kill -9 never loses written lines; fsync guards power loss
            os.fsync(fd)
    finally:
        os.close(fd)
    return record


def read_events(path: Path, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Complete events from byte ``offset`` on, and the offset to continue from.

    A torn last line (a writer killed mid-line) is left for a later read, never parsed.
    """
    if not path.is_file():
        return [], offset
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    events: list[dict[str, Any]] = []
    consumed = 0
    for raw in data.splitlines(keepends=True):
        if not raw.endswith(b"\n"):
            break
        consumed += len(raw)
        try:
            events.append(json.loads(raw))
        except json.JSONDecodeError:
            continue  # a torn line followed by a newer write: skip it, keep the rest
    return events, offset + consumed


def iter_events(path: Path) -> list[dict[str, Any]]:
    """Every complete event of a file."""
    return read_events(path)[0]


def follow_events(path: Path, until: Any, poll_s: float = 0.3) -> Iterator[dict[str, Any]]:
    """Yield events as they are appended until ``until()`` is true and the file is drained."""
    offset = 0
    while True:
        done = until()
        events, offset = read_events(path, offset)
        yield from events
        if done and not events:
            return
        if not events:
            time.sleep(poll_s)


def json_safe(value: Any) -> Any:
    """``value`` with NaN/inf floats as None (strict JSON, valid in every database), recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy / torch scalars
        return json_safe(value.item())
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
