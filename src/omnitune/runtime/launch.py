"""Starting workers for claimed jobs, and recovering jobs whose worker died."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from omnitune.recipes.checkpointing import latest_checkpoint
from omnitune.runtime.events import iter_events
from omnitune.runtime.executors.local import SpawnedWorker, spawn_worker
from omnitune.runtime.jobdir import JobDir
from omnitune.runtime.process import is_alive
from omnitune.runtime.states import set_state
from omnitune.settings import get_settings
from omnitune.store import jobs
from omnitune.store.records import JobRecord
from omnitune.store.tables import utcnow
from omnitune.types import JobState

MAX_WORKER_DEATHS = 3
_SPAWN_GRACE = timedelta(seconds=60)  # a claimed job gets this long to record its worker pid
_DIED = "worker died"

WorkerEnvironment = Callable[[JobRecord], dict[str, str]]
_environment_providers: list[WorkerEnvironment] = []


def provide_worker_environment(provider: WorkerEnvironment) -> None:
    """Give every worker started from now on the variables ``provider`` returns for its job.

    The variables reach the worker process only (never job.json, plan.json, events or logs);
    services use this to hand a user's vault credentials to that user's jobs.
    """
    if provider not in _environment_providers:
        _environment_providers.append(provider)


def device_limit(device: str) -> int:
    """Concurrent jobs allowed on ``device`` ("cpu", "cuda:0" …)."""
    settings = get_settings()
    return settings.max_cpu_jobs if device == "cpu" else settings.max_jobs_per_gpu


def launch(job: JobRecord) -> SpawnedWorker | None:
    """Spawn the worker of a claimed job and record its pid; None (job failed) if its environment fails."""
    try:
        env = worker_environment(job)
    except Exception as exc:  # a provider's error fails this job, never the supervisor
        reason = f"could not prepare the worker's environment: {exc}"
        set_state(job.id, job.job_dir, JobState.FAILED, from_states=[job.state], reason=reason)
        return None
    spawned = spawn_worker(Path(job.job_dir), env)
    jobs.update_job(job.id, pid=spawned.pid, pid_started_at=spawned.started_at)
    return spawned


def worker_environment(job: JobRecord) -> dict[str, str]:
    """The extra variables the registered providers give this job's worker."""
    env: dict[str, str] = {}
    for provider in _environment_providers:
        env.update(provider(job))
    return env


def start(job_id: str) -> SpawnedWorker | None:
    """Claim and launch one queued job if its device has a free slot; None otherwise."""
    job = jobs.get_job(job_id)
    claimed = jobs.claim_next(job.device, device_limit(job.device), job_id=job.id)
    return launch(claimed) if claimed else None


def worker_lost(job: JobRecord) -> bool:
    """True if an active job has no live worker (and is past the grace for recording one)."""
    if job.state not in jobs.ACTIVE_STATES:
        return False
    if job.pid is None:
        return utcnow() - job.updated_at > _SPAWN_GRACE
    return not is_alive(job.pid, job.pid_started_at)


def recover(job: JobRecord) -> JobState | None:
    """Settle an active job whose worker is gone; returns the new state (None if it moved meanwhile).

    running -> queued (resumes from its latest checkpoint; failed after repeated deaths),
    pausing -> paused, cancelling -> cancelled.
    """
    job_dir = JobDir(Path(job.job_dir))
    ckpt = latest_checkpoint(job_dir.checkpoints_dir)
    where = ckpt.name if ckpt else "the start"
    who = f"{_DIED} (pid {job.pid})"
    if job.state is JobState.PAUSING:
        target, reason = JobState.PAUSED, f"{who} while pausing; resumes from {where}"
    elif job.state is JobState.CANCELLING:
        target, reason = JobState.CANCELLED, f"{who} while cancelling"
    elif _deaths(job_dir) + 1 >= MAX_WORKER_DEATHS:
        target, reason = JobState.FAILED, f"{who} {MAX_WORKER_DEATHS} times; see {job_dir.log_file}"
    else:
        target, reason = JobState.QUEUED, f"{who}; re-queued to resume from {where}"
    moved = set_state(
        job.id,
        job.job_dir,
        target,
        from_states=[job.state],
        reason=reason,
        expect_pid=job.pid,
        columns={"pid": None, "pid_started_at": None},
    )
    return target if moved else None


def recover_lost(device: str) -> list[str]:
    """Settle every active job on ``device`` whose worker is gone (frees their slots); their ids."""
    lost = [job for job in jobs.list_jobs(jobs.ACTIVE_STATES, device=device) if worker_lost(job)]
    return [job.id for job in lost if recover(job) is not None]


def _deaths(job_dir: JobDir) -> int:
    return sum(
        1
        for e in iter_events(job_dir.events_file)
        if e.get("event") == "state" and str(e.get("reason", "")).startswith(_DIED)
    )
