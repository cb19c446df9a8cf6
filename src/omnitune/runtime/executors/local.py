"""The local executor: one worker subprocess per job, in its own session and process group.

Its own session means no terminal signal (Ctrl-C, a closed SSH session) reaches it: a job is
never tied to the terminal that started it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from omnitune.runtime.process import start_time

WORKER_MODULE = "omnitune.runtime.worker"


@dataclass(frozen=True)
class SpawnedWorker:
    """A started worker: the handle (for reaping), its pid and start time."""

    popen: subprocess.Popen[bytes]
    pid: int
    started_at: float | None


def spawn_worker(job_dir: Path, extra_env: dict[str, str] | None = None) -> SpawnedWorker:
    """Start `python -m omnitune.runtime.worker JOB_DIR` detached, logging to `worker.log`.

    ``extra_env`` (e.g. credentials) goes to the child's environment only, never to a file.
    """
    env = {**os.environ, **(extra_env or {}), "PYTHONUNBUFFERED": "1"}
    with (job_dir / "worker.log").open("ab") as log:
        popen = subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE, str(job_dir)],
            cwd=job_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    return SpawnedWorker(popen=popen, pid=popen.pid, started_at=start_time(popen.pid))
