"""A supervisor killed with -9 is replaced: the new one adopts the live worker and re-queues the dead one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from omnitune.recipes.registry import RECIPES
from omnitune.runtime.events import iter_events
from omnitune.runtime.jobdir import JobDir
from omnitune.runtime.process import wait_gone
from omnitune.runtime.supervisor import Supervisor
from omnitune.services import jobs
from omnitune.settings import get_settings
from omnitune.types import JobState
from recipes_for_tests import RECIPE_TARGET, linear_plan, worker_pythonpath, write_linear_dataset

pytestmark = pytest.mark.slow


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _running_events(job: jobs.JobRecord) -> list[dict[str, object]]:
    events = iter_events(JobDir(Path(job.job_dir)).events_file)
    return [e for e in events if e["event"] == "state" and e["state"] == "running"]


def _has_checkpoint(job: jobs.JobRecord) -> bool:
    return any(JobDir(Path(job.job_dir)).checkpoints_dir.glob("step-*"))


def test_restarted_supervisor_adopts_live_workers_and_requeues_dead_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(RECIPES, "test_linear", RECIPE_TARGET)
    monkeypatch.setenv("PYTHONPATH", worker_pythonpath())
    monkeypatch.setenv("OMNITUNE_MAX_CPU_JOBS", "2")
    get_settings.cache_clear()
    data = write_linear_dataset(tmp_path / "data")
    survivor, victim = (
        jobs.submit(
            linear_plan(),
            data_dir=data,
            max_steps=16,
            register=False,
            extra={"sleep_s": 0.25, "checkpoint_every": 2},
        )
        for _ in range(2)
    )
    first = subprocess.Popen([sys.executable, "-m", "omnitune.runtime.supervisor"], start_new_session=True)
    try:
        _wait(lambda: all(_has_checkpoint(j) for j in (survivor, victim)), 120, "both jobs to checkpoint")
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    survivor_pid, victim_pid = jobs.get(survivor.id).pid, jobs.get(victim.id).pid
    assert survivor_pid and victim_pid
    os.killpg(victim_pid, signal.SIGKILL)
    assert wait_gone(victim_pid, None, 10)

    second = Supervisor()
    report = second.reconcile()

    assert report.adopted == [survivor.id]
    assert report.recovered == {victim.id: JobState.QUEUED}
    _wait(
        lambda: second.tick() and all(jobs.get(j.id).state is JobState.SUCCEEDED for j in (survivor, victim)),
        180,
        "both jobs to finish",
    )
    assert jobs.get(survivor.id).pid == survivor_pid
    assert len(_running_events(survivor)) == 1
    resumed = _running_events(victim)
    assert len(resumed) == 2 and "step-" in str(resumed[1]["resume_from"])
    assert jobs.get(victim.id).step == jobs.get(survivor.id).step == 16
