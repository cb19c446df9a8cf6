"""The supervisor: claims queued jobs, starts their workers, adopts survivors, recovers the dead.

Runs standalone as `omnitune worker` (or `python -m omnitune.runtime.supervisor`) and inside
`omnitune serve`. Several supervisors may share a store: claims are atomic.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from omnitune.runtime.executors.local import SpawnedWorker
from omnitune.runtime.jobdir import JobDir
from omnitune.runtime.launch import device_limit, launch, recover, worker_lost
from omnitune.runtime.process import is_alive, signal_group, wait_gone
from omnitune.runtime.states import record_event, set_state
from omnitune.settings import get_settings
from omnitune.store import jobs
from omnitune.types import JobState


@dataclass
class TickReport:
    """What one supervisor pass did."""

    adopted: list[str] = field(default_factory=list)
    recovered: dict[str, JobState] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    killed: list[str] = field(default_factory=list)


class Supervisor:
    """Owns no job state: everything it knows is in the store and the job directories."""

    def __init__(self, devices: tuple[str, ...] | None = None, cancel_grace_s: float = 10.0) -> None:
        self.devices = devices  # None: every device some queued job asks for
        self.cancel_grace_s = cancel_grace_s
        self.children: dict[str, SpawnedWorker] = {}
        self.adopted: set[str] = set()

    def reconcile(self) -> TickReport:
        """Adopt active jobs whose worker still runs; settle those whose worker is gone."""
        report = TickReport()
        for job in jobs.list_jobs(jobs.ACTIVE_STATES):
            if job.id in self.children or job.id in self.adopted:
                if worker_lost(job) and (state := recover(job)) is not None:
                    report.recovered[job.id] = state
                continue
            if is_alive(job.pid, job.pid_started_at):
                self.adopted.add(job.id)
                record_event(job.id, job.job_dir, "adopted", pid=job.pid, supervisor_pid=os.getpid())
                report.adopted.append(job.id)
            elif worker_lost(job) and (state := recover(job)) is not None:
                report.recovered[job.id] = state
        return report

    def tick(self) -> TickReport:
        """One pass: reap finished workers, reconcile, enforce cancel grace, fill free slots."""
        self._reap()
        report = self.reconcile()
        report.killed = self._kill_overdue_cancels()
        wanted = {job.device for job in jobs.list_jobs([JobState.QUEUED])}
        for device in sorted(wanted if self.devices is None else wanted & set(self.devices)):
            while (claimed := jobs.claim_next(device, device_limit(device))) is not None:
                if (spawned := launch(claimed)) is not None:
                    self.children[claimed.id] = spawned
                    report.started.append(claimed.id)
        return report

    def run(self, stop: threading.Event | None = None, poll_s: float = 1.0) -> None:
        """Tick until ``stop`` is set (or SIGTERM/SIGINT); workers keep running after it exits."""
        stop = stop or _stop_on_signals()
        while not stop.is_set():
            self.tick()
            stop.wait(poll_s)

    def _reap(self) -> None:
        for job_id, worker in list(self.children.items()):
            if worker.popen.poll() is not None:
                del self.children[job_id]
        self.adopted = {j for j in self.adopted if _still_active(j)}

    def _kill_overdue_cancels(self) -> list[str]:
        killed = []
        for job in jobs.list_jobs([JobState.CANCELLING]):
            requested = _request_time(JobDir(Path(job.job_dir)).control_file) or job.updated_at.timestamp()
            overdue = time.time() - requested > self.cancel_grace_s
            if job.pid and overdue and is_alive(job.pid, job.pid_started_at):
                signal_group(job.pid, signal.SIGKILL)
                wait_gone(job.pid, job.pid_started_at, 5.0)
                set_state(
                    job.id,
                    job.job_dir,
                    JobState.CANCELLED,
                    from_states=[JobState.CANCELLING],
                    reason=f"killed after a {self.cancel_grace_s:g}s grace period",
                )
                killed.append(job.id)
        return killed


def _request_time(control_file: Path) -> float | None:
    try:
        return control_file.stat().st_mtime
    except FileNotFoundError:
        return None


def _still_active(job_id: str) -> bool:
    return jobs.get_job(job_id).state in jobs.ACTIVE_STATES


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def main() -> None:
    """`python -m omnitune.runtime.supervisor`: run the loop until signalled."""
    print(f"omnitune supervisor pid {os.getpid()} on {get_settings().home}", flush=True)
    Supervisor().run()


if __name__ == "__main__":
    main()
