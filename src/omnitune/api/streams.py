"""Job event streams read straight from `events.jsonl`; an event's id is the byte offset after it.

So a client that reconnects with Last-Event-ID gets exactly the events it missed, even
across server restarts (the file is the truth, the server keeps no stream state).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

POLL_S = 0.25
KEEPALIVE_S = 15.0


def read_from(path: Path, offset: int) -> list[tuple[int, dict[str, Any]]]:
    """Complete events after byte ``offset``, each with the offset just past it (a torn tail waits)."""
    if not path.is_file():
        return []
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    out: list[tuple[int, dict[str, Any]]] = []
    for raw in data.splitlines(keepends=True):
        if not raw.endswith(b"\n"):
            break
        offset += len(raw)
        try:
            out.append((offset, json.loads(raw)))
        except json.JSONDecodeError:
            continue
    return out


def parse_last_event_id(value: str | None) -> int:
    """The resume offset from a Last-Event-ID header (0 when absent or malformed)."""
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


async def follow(
    path: Path, offset: int, settled: Callable[[], bool], poll_s: float = POLL_S
) -> AsyncIterator[tuple[int, dict[str, Any]] | None]:
    """Yield (offset, event) as the file grows; None as a keep-alive tick; stop once settled and drained."""
    idle = 0.0
    while True:
        done = settled()
        batch = read_from(path, offset)
        for offset, event in batch:
            yield offset, event
        if done and not batch:
            return
        if batch:
            idle = 0.0
            continue
        await asyncio.sleep(poll_s)
        idle += poll_s
        if idle >= KEEPALIVE_S:
            idle = 0.0
            yield None


def sse_frame(offset: int, event: dict[str, Any]) -> str:
    """One Server-Sent Events frame: id (resume offset), event name, JSON data."""
    return f"id: {offset}\nevent: {event.get('event', 'message')}\ndata: {json.dumps(event)}\n\n"
