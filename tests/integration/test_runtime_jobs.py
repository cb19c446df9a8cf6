"""Real worker processes on a tiny real recipe: exact resume after kill -9, pause, cancel, budget."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch

from omnitune.recipes.base import RecipeContext
from omnitune.recipes.checkpointing import latest_checkpoint, list_checkpoints
from omnitune.recipes.registry import RECIPES
from omnitune.runtime.events import iter_events
from omnitune.runtime.index import rebuild_index
from omnitune.runtime.jobdir import JobDir
from omnitune.runtime.process import wait_gone
from omnitune.runtime.supervisor import Supervisor
from omnitune.services import jobs, models
from omnitune.settings import get_settings
from omnitune.store import job_events
from omnitune.types import JobState
from recipes_for_tests import (
    RECIPE_TARGET,
    LinearRecipe,
    linear_plan,
    worker_pythonpath,
    write_linear_dataset,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test recipe registered here and in worker subprocesses, and a prepared dataset."""
    monkeypatch.setitem(RECIPES, "test_linear", RECIPE_TARGET)
    monkeypatch.setenv("PYTHONPATH", worker_pythonpath())
    return write_linear_dataset(tmp_path / "data")


def events_of(job: jobs.JobRecord, event: str) -> list[dict[str, Any]]:
    return [e for e in iter_events(JobDir(Path(job.job_dir)).events_file) if e["event"] == event]


def _checkpoint_step(job: jobs.JobRecord) -> int:
    latest = latest_checkpoint(JobDir(Path(job.job_dir)).checkpoints_dir)
    return int(latest.name.split("-")[1]) if latest else -1


def wait_for_step(job: jobs.JobRecord, step: int, timeout: float = 90.0, checkpoint: bool = False) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(e.get("step", 0) >= step for e in events_of(job, "metrics")) and (
            not checkpoint or _checkpoint_step(job) >= step
        ):
            return
        assert jobs.get(job.id).state in (JobState.RUNNING, JobState.QUEUED), jobs.get(job.id)
        time.sleep(0.1)
    raise AssertionError(f"job {job.id} did not reach step {step} in {timeout}s")


def weights(job: jobs.JobRecord) -> dict[str, torch.Tensor]:
    return torch.load(Path(job.job_dir) / "output" / "model.pt")


class _NoStop:
    def stop_requested(self) -> None:
        return None


class _Discard:
    def emit(self, event: str, /, **fields: Any) -> None:
        pass


def straight_run(data: Path, out: Path, steps: int) -> dict[str, torch.Tensor]:
    """The reference: the same recipe run in this process, without interruption."""
    plan = linear_plan()
    ctx = RecipeContext(
        plan=plan,
        model=plan.models[0],
        data_dir=data,
        output_dir=out / "output",
        checkpoints_dir=out / "checkpoints",
        events=_Discard(),
        control=_NoStop(),
        max_steps=steps,
        extra={"checkpoint_every": 2},
    )
    assert LinearRecipe().run(ctx).status == "completed"
    return torch.load(out / "output" / "model.pt")


def test_kill_9_then_resume_reaches_the_same_weights_as_a_straight_run(data: Path, tmp_path: Path) -> None:
    reference = straight_run(data, tmp_path / "straight", steps=12)

    job = jobs.submit(
        linear_plan(),
        data_dir=data,
        max_steps=12,
        register=False,
        extra={"sleep_s": 0.25, "checkpoint_every": 2},
    )
    assert jobs.start(job.id)
    wait_for_step(job, 6, checkpoint=True)
    pid = jobs.get(job.id).pid
    assert pid is not None
    os.killpg(pid, signal.SIGKILL)
    assert wait_gone(pid, None, 10)
    killed_at = latest_checkpoint(JobDir(Path(job.job_dir)).checkpoints_dir)
    assert killed_at is not None and 6 <= int(killed_at.name.split("-")[1]) < 12

    done = jobs.run_foreground(job.id)  # sees the dead worker, re-queues, resumes

    assert done.state is JobState.SUCCEEDED and done.step == 12
    reasons = [e["reason"] for e in events_of(job, "state")]
    assert any(r.startswith(f"worker died (pid {pid})") for r in reasons), reasons
    runs = [e for e in events_of(job, "state") if e["state"] == "running"]
    assert runs[-1]["resume_from"] == str(killed_at)
    for name, tensor in reference.items():
        torch.testing.assert_close(weights(done)[name], tensor, rtol=0, atol=1e-7)
    assert done.metrics["final_loss"] < done.metrics["initial_loss"]


def test_pause_checkpoints_then_resume_finishes_and_the_index_rebuilds_from_the_job_dir(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = jobs.submit(linear_plan(), data_dir=data, max_steps=16, extra={"sleep_s": 0.15})
    assert jobs.start(job.id)
    wait_for_step(job, 3)
    assert jobs.pause(job.id).state in (JobState.PAUSING, JobState.PAUSED)
    paused = jobs.run_foreground(job.id)
    assert paused.state is JobState.PAUSED and 3 <= paused.step < 16
    ckpt = latest_checkpoint(JobDir(Path(job.job_dir)).checkpoints_dir)
    assert ckpt is not None and ckpt.name == f"step-{paused.step:08d}"

    assert jobs.resume(job.id).state in (JobState.QUEUED, JobState.RUNNING)
    done = jobs.run_foreground(job.id)

    assert done.state is JobState.SUCCEEDED and done.step == 16
    runs = [e for e in events_of(job, "state") if e["state"] == "running"]
    assert [r["resume_from"] for r in runs] == [None, str(ckpt)]
    version = models.get_version(events_of(job, "registered")[0]["id"])
    assert models.version_of_job(job.id) == version == models.register(job.id)  # once per job
    assert version.job_id == job.id and version.metrics["final_loss"] < version.metrics["initial_loss"]
    assert version.sha256 == models.artefact_sha256(Path(version.artefact_path))
    assert version.dataset_hash == "linear-test-data"
    assert torch.load(Path(version.artefact_path) / "model.pt")["weight"].shape == (1, 4)

    monkeypatch.setenv("OMNITUNE_DB_URL", f"sqlite:///{tmp_path / 'rebuilt.db'}")
    get_settings.cache_clear()
    report = rebuild_index()
    assert report.jobs == [job.id] and report.model_versions == [version.id] and not report.skipped
    rebuilt = jobs.get(job.id)
    for column in ("state", "step", "metrics", "plan_id", "recipe", "base_model", "budget_usd", "reason"):
        assert getattr(rebuilt, column) == getattr(done, column), column
    assert models.get_version(version.ref) == version
    on_disk = list_checkpoints(JobDir(Path(job.job_dir)).checkpoints_dir)
    assert [c.step for c in job_events.list_checkpoints(job.id)] == [s for s, _ in on_disk]
    assert paused.step in [s for s, _ in on_disk] and on_disk[-1][0] == 16
    assert [e.fields["state"] for e in job_events.list_events(job.id, "state")] == [
        "queued",
        "running",
        "pausing",
        "paused",
        "queued",
        "running",
        "succeeded",
    ]


def test_cancel_stops_the_worker_gracefully_or_by_force(data: Path) -> None:
    queued = jobs.submit(linear_plan(), data_dir=data)
    assert jobs.cancel(queued.id).state is JobState.CANCELLED
    with pytest.raises(jobs.JobStateError, match="already cancelled"):
        jobs.cancel(queued.id)

    polite = jobs.submit(linear_plan(), data_dir=data, max_steps=1000, extra={"sleep_s": 0.2})
    assert jobs.start(polite.id)
    wait_for_step(polite, 1)
    done = jobs.cancel(polite.id, grace_s=30)
    assert done.state is JobState.CANCELLED and done.reason.startswith("cancelled at step")

    stubborn = jobs.submit(linear_plan(), data_dir=data, max_steps=1000, extra={"sleep_s": 60})
    assert jobs.start(stubborn.id)
    wait_for_step(stubborn, 1)
    done = jobs.cancel(stubborn.id, grace_s=1)
    assert done.state is JobState.CANCELLED and "killed after a 1s grace period" in done.reason
    assert done.pid is not None and wait_gone(done.pid, done.pid_started_at, 1)

    # A cancel that does not wait (the API's) is escalated by the supervisor after its grace.
    api = jobs.submit(linear_plan(), data_dir=data, max_steps=1000, extra={"sleep_s": 60})
    assert jobs.start(api.id)
    wait_for_step(api, 1)
    assert jobs.cancel(api.id, wait=False).state is JobState.CANCELLING
    supervisor = Supervisor(cancel_grace_s=1)
    deadline = time.monotonic() + 60
    while jobs.get(api.id).state is not JobState.CANCELLED and time.monotonic() < deadline:
        supervisor.tick()
        time.sleep(0.3)
    assert jobs.get(api.id).state is JobState.CANCELLED
    assert jobs.get(api.id).reason == "killed after a 1s grace period"


def test_budget_alerts_once_freezes_and_resumes_with_a_higher_budget(data: Path) -> None:
    # $1 per device-second: a $5 budget runs out well before 30 steps of 0.4 s (12 s), however fast the
    # worker starts.
    job = jobs.submit(
        linear_plan(budget_usd=5.0),
        data_dir=data,
        max_steps=30,
        hourly_rate_usd=3600.0,
        extra={"sleep_s": 0.4},
    )
    frozen = jobs.run_foreground(job.id)

    assert frozen.state is JobState.BUDGET_FROZEN and frozen.step < 30
    assert frozen.cost_usd >= 5.0
    alerts = events_of(job, "budget_alert")
    assert [a["percent"] for a in alerts] == [80, 95]
    assert all(a["budget_usd"] == 5.0 for a in alerts)
    ckpt = latest_checkpoint(JobDir(Path(job.job_dir)).checkpoints_dir)
    assert ckpt is not None and ckpt.name == f"step-{frozen.step:08d}"
    with pytest.raises(jobs.JobStateError, match="--budget"):
        jobs.resume(job.id)
    with pytest.raises(jobs.JobStateError, match="not above"):
        jobs.resume(job.id, budget_usd=1.0)

    jobs.resume(job.id, budget_usd=1000.0)
    done = jobs.run_foreground(job.id)

    assert done.state is JobState.SUCCEEDED and done.step == 30
    assert done.cost_usd > frozen.cost_usd
    assert [a["percent"] for a in events_of(job, "budget_alert")] == [80, 95]
    assert JobDir(Path(job.job_dir)).read_spec().budget_usd == 1000.0


def test_bad_inputs_give_clear_errors(data: Path, tmp_path: Path) -> None:
    plan = linear_plan()
    with pytest.raises(ValueError, match="model_index 3 is out of range"):
        jobs.submit(plan, data_dir=data, model_index=3)
    with pytest.raises(FileNotFoundError, match="not a prepared dataset"):
        jobs.submit(plan, data_dir=tmp_path)
    unknown = linear_plan()
    unknown.models[0].recipe = "no_such_recipe"
    with pytest.raises(ValueError, match="'no_such_recipe' is not an implemented recipe"):
        jobs.submit(unknown, data_dir=data)
    with pytest.raises(jobs.JobNotFoundError, match="matches no job"):
        jobs.get("doesnotexist")

    job = jobs.submit(plan, data_dir=data)
    with pytest.raises(jobs.JobStateError, match="only paused or budget_frozen"):
        jobs.resume(job.id)
    plan_file = JobDir(Path(job.job_dir)).plan_file
    plan_file.write_text('{"models": "oops"}')
    run = subprocess.run(
        [sys.executable, "-m", "omnitune.runtime.worker", job.job_dir],
        capture_output=True,
        text=True,
        timeout=120,
    )
    failed = jobs.get(job.id)
    assert run.returncode == 1 and failed.state is JobState.FAILED
    assert str(plan_file) in failed.error and "not a valid TrainingPlan" in failed.error
    assert "Traceback" in run.stderr
