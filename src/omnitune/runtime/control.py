"""The `control` file: how the CLI, the API and the supervisor ask a running worker to stop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from omnitune.runtime.events import now_iso
from omnitune.runtime.jobdir import write_atomic

ControlRequest = Literal["pause", "cancel"]


def request(control_file: Path, what: ControlRequest, reason: str = "") -> None:
    """Ask the worker to pause or cancel (a cancel is never downgraded to a pause)."""
    if what == "pause" and read_request(control_file) == "cancel":
        return
    write_atomic(control_file, json.dumps({"request": what, "reason": reason, "ts": now_iso()}))


def read_request(control_file: Path) -> ControlRequest | None:
    """The pending request, if any."""
    try:
        data = json.loads(control_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    value = data.get("request")
    return value if value in ("pause", "cancel") else None


def clear(control_file: Path) -> None:
    """Forget any pending request (on resume)."""
    control_file.unlink(missing_ok=True)
