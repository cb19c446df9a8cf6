"""The worker's EventSink and StopControl: events to `events.jsonl`, stops from signals, control, budget."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

from omnitune.recipes.base import StopReason
from omnitune.runtime import control
from omnitune.runtime.budget import BudgetMeter
from omnitune.runtime.index import sync_checkpoints
from omnitune.runtime.jobdir import JobDir
from omnitune.runtime.states import record_event
from omnitune.store import jobs

_MIRROR_EVERY_S = 2.0


class JobEventSink:
    """Appends each event (with cost so far, ETA and memory) and mirrors progress into the store."""

    def __init__(self, job_id: str, job_dir: Path, meter: BudgetMeter, max_steps: int | None) -> None:
        self.job_id, self.job_dir, self.meter, self.max_steps = job_id, job_dir, meter, max_steps
        self.last_step: int | None = None
        self.last_loss: float | None = None
        self._first: tuple[float, int] | None = None
        self._mirrored = 0.0

    def emit(self, event: str, /, **fields: Any) -> None:
        """Record one event from the recipe (or the runtime)."""
        fields.setdefault("device_s", round(self.meter.device_s, 3))
        fields.setdefault("cost_usd", round(self.meter.cost_usd(), 6))
        if isinstance(fields.get("step"), int):
            self._track_progress(fields)
        if event == "metrics":
            fields.setdefault("rss_mb", round(psutil.Process().memory_info().rss / 2**20, 1))
            fields.update(_accelerator_memory())
        record_event(self.job_id, self.job_dir, event, **fields)
        if event == "checkpoint":
            sync_checkpoints(self.job_id, JobDir(self.job_dir).checkpoints_dir)
        self._mirror(force=event != "metrics")

    def _track_progress(self, fields: dict[str, Any]) -> None:
        step, now = int(fields["step"]), time.monotonic()
        self.last_step = step
        if isinstance(fields.get("loss"), int | float):
            self.last_loss = float(fields["loss"])
        if self._first is None:
            self._first = (now, step)
        t0, s0 = self._first
        total = fields.get("max_steps") or self.max_steps  # the recipe knows it when epochs decide
        if isinstance(total, int) and step > s0 and "eta_s" not in fields:
            fields["eta_s"] = round(max(0, total - step) * (now - t0) / (step - s0), 1)

    def flush(self) -> None:
        """Mirror the latest step, loss and cost into the store now."""
        self._mirror(force=True)

    def _mirror(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._mirrored >= _MIRROR_EVERY_S:
            self._mirrored = now
            progress = {"step": self.last_step, "loss": self.last_loss} if self.last_step is not None else {}
            jobs.update_job(self.job_id, cost_usd=round(self.meter.cost_usd(), 6), **progress)


class WorkerStopControl:
    """Answers the recipe between steps: cancel (SIGTERM or request) > budget > pause."""

    def __init__(self, control_file: Path, meter: BudgetMeter, sink: JobEventSink) -> None:
        self.control_file, self.meter, self.sink = control_file, meter, sink
        self.terminated = False

    def install_signal_handlers(self) -> None:
        """Turn SIGTERM/SIGINT into a cancel request seen at the next step boundary."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.terminated = True
        print(f"received signal {signum}; cancelling at the next step", file=sys.stderr, flush=True)

    def stop_requested(self) -> StopReason | None:
        """None to go on; otherwise the reason the recipe must checkpoint and stop."""
        requested = control.read_request(self.control_file)
        if self.terminated or requested == "cancel":
            return "cancel"
        for alert in self.meter.new_alerts():
            self.sink.emit("budget_alert", **alert)
        if self.meter.exhausted():
            return "budget"
        return "pause" if requested == "pause" else None


def _accelerator_memory() -> dict[str, float]:
    torch = sys.modules.get("torch")  # never import torch here: only report what is in use
    if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return {}
    return {"cuda_max_allocated_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1)}
