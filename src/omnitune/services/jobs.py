"""Job use cases shared by the CLI and the API: submit, run, watch, pause, resume, cancel.

Every long operation returns a job id at once; the worker runs in its own process group, so
no job depends on the terminal or request that started it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from omnitune.data.manifest import DatasetManifest
from omnitune.plan.schema import TrainingPlan
from omnitune.recipes.checkpointing import list_checkpoints
from omnitune.recipes.registry import RECIPES
from omnitune.runtime import control, launch
from omnitune.runtime.events import follow_events, iter_events, now_iso, read_events
from omnitune.runtime.jobdir import JobDir, JobSpec
from omnitune.runtime.process import is_alive, terminate_group
from omnitune.runtime.states import record_event, set_state
from omnitune.settings import get_settings
from omnitune.store import jobs as store_jobs
from omnitune.store import model_versions, ownership, plans
from omnitune.store.jobs import ACTIVE_STATES, JobNotFoundError
from omnitune.store.records import JobRecord
from omnitune.types import Executor, JobState

__all__ = [
    "JobNotFoundError",
    "JobRecord",
    "JobStateError",
    "cancel",
    "describe",
    "get",
    "hand_credentials_to_workers",
    "list_jobs",
    "pause",
    "resume",
    "run_foreground",
    "start",
    "submit",
    "tail_events",
]

SETTLED_STATES = frozenset(
    {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.PAUSED, JobState.BUDGET_FROZEN}
)
EventCallback = Callable[[dict[str, Any]], None]


class JobStateError(ValueError):
    """The job is in a state where the requested operation does not apply."""


def submit(
    plan: TrainingPlan,
    *,
    data_dir: Path | str,
    model_index: int = 0,
    max_steps: int | None = None,
    budget_usd: float | None = None,
    seed: int = 42,
    hourly_rate_usd: float | None = None,
    device: str | None = None,
    model_name: str | None = None,
    register: bool = True,
    extra: dict[str, Any] | None = None,
    owner_id: str | None = None,
) -> JobRecord:
    """Queue one model of an approved plan on a prepared dataset; returns the queued job.

    ``owner_id`` is recorded before the job is queued, so its worker always gets the owner's credentials.
    """
    model = _model_of(plan, model_index)
    DatasetManifest.read(Path(data_dir))  # a clear error now rather than in the worker
    device = device or ("cpu" if plan.training.gpu.type == "cpu" else "cuda:0")
    spec = JobSpec(
        job_id=uuid.uuid4().hex[:12],
        plan_id=plan.id,
        model_index=model_index,
        recipe=model.recipe,
        data_dir=str(Path(data_dir).resolve()),
        max_steps=max_steps,
        seed=seed,
        budget_usd=budget_usd if budget_usd is not None else plan.training.budget_usd,
        hourly_rate_usd=_hourly_rate(plan, device, hourly_rate_usd),
        device=device,
        storage_usd_per_gb_month=_storage_rate(),
        model_name=model_name,
        register_model=register,
        extra=extra or {},
    )
    job_dir = JobDir(get_settings().jobs_dir / spec.job_id)
    job_dir.root.mkdir(parents=True)
    job_dir.write_plan(plan)
    job_dir.write_spec(spec)
    plans.save_plan(plan)
    if owner_id is not None:
        ownership.set_owner("job", spec.job_id, owner_id)
    record = store_jobs.insert_job(
        id=spec.job_id,
        plan_id=plan.id,
        model_index=model_index,
        recipe=spec.recipe,
        base_model=model.base_model,
        method=str(model.method),
        device=device,
        state=str(JobState.QUEUED),
        reason="submitted",
        job_dir=str(job_dir.root),
        max_steps=max_steps,
        budget_usd=spec.budget_usd,
        hourly_rate_usd=spec.hourly_rate_usd,
    )
    record_event(spec.job_id, job_dir.root, "state", state=str(JobState.QUEUED), reason="submitted")
    return record


def hand_credentials_to_workers() -> None:
    """Give each worker started from this process its owner's vault credentials (HF_TOKEN, …) as env vars."""
    launch.provide_worker_environment(owner_credentials)


def owner_credentials(job: JobRecord) -> dict[str, str]:
    """The environment variables of the vault credentials of the job's owner ({} for an unowned job)."""
    from omnitune.services import vault

    owner = ownership.owner_of("job", job.id)
    return vault.job_environment(owner) if owner else {}


def get(job_id: str) -> JobRecord:
    """One job by id or unique id prefix (JobNotFoundError otherwise)."""
    return store_jobs.get_job(job_id)


def describe(job_id: str) -> dict[str, Any]:
    """A job with its checkpoints on disk, its latest metrics event and its model versions (JSON-ready)."""
    job = get(job_id)
    job_dir = JobDir(Path(job.job_dir))
    metrics = [e for e in iter_events(job_dir.events_file) if e.get("event") == "metrics"]
    return {
        "job": job.model_dump(mode="json"),
        "worker_lost": launch.worker_lost(job),
        "checkpoints": [{"step": s, "path": str(p)} for s, p in list_checkpoints(job_dir.checkpoints_dir)],
        "last_metrics": metrics[-1] if metrics else None,
        "model_versions": [v.model_dump(mode="json") for v in model_versions.versions_of_job(job.id)],
    }


def list_jobs(state: JobState | None = None) -> list[JobRecord]:
    """All jobs, newest first, optionally in one state."""
    return store_jobs.list_jobs([state] if state else None)


def start(job_id: str) -> bool:
    """Start a queued job's worker now if its device has a free slot (else it waits in the queue)."""
    return launch.start(get(job_id).id) is not None


def run_foreground(
    job_id: str,
    on_event: EventCallback | None = None,
    *,
    poll_s: float = 0.3,
    cancel_on_interrupt: bool = False,
) -> JobRecord:
    """Start the job if queued and stream its events until it settles; returns the settled job.

    Ctrl-C (KeyboardInterrupt) only stops watching: the worker keeps running detached unless
    ``cancel_on_interrupt`` is set. A worker that dies is restarted from its last checkpoint.
    """
    job = get(job_id)
    events_file = JobDir(Path(job.job_dir)).events_file
    offset, waiting = 0, False
    try:
        while True:
            job = get(job.id)
            if job.state is JobState.QUEUED and launch.start(job.id) is None:
                launch.recover_lost(job.device)  # no supervisor may be running to free dead slots
                if not waiting and on_event is not None:
                    on_event(_waiting_event(job))
                waiting = True
            elif launch.worker_lost(job):
                launch.recover(job)
            events, offset = read_events(events_file, offset)
            for event in events:
                if on_event is not None:
                    on_event(event)
            if job.state in SETTLED_STATES and not events:
                return job
            if not events:
                time.sleep(poll_s)
    except KeyboardInterrupt:
        if cancel_on_interrupt:
            cancel(job.id)
        raise


def _waiting_event(job: JobRecord) -> dict[str, Any]:
    """A display-only event (not in events.jsonl): the job waits for a free slot on its device."""
    busy = [j.id for j in store_jobs.list_jobs(ACTIVE_STATES, device=job.device)]
    reason = f"waiting for a free {job.device} slot (busy: {', '.join(busy)})"
    return {"ts": now_iso(), "event": "waiting", "reason": reason}


def tail_events(job_id: str, follow: bool = False, poll_s: float = 0.3) -> Iterator[dict[str, Any]]:
    """A job's events from the start; with ``follow``, keep yielding until the job settles."""
    job = get(job_id)
    events_file = JobDir(Path(job.job_dir)).events_file
    if not follow:
        yield from iter_events(events_file)
        return
    yield from follow_events(events_file, until=lambda: get(job.id).state in SETTLED_STATES, poll_s=poll_s)


def pause(job_id: str) -> JobRecord:
    """Ask a running job to checkpoint and stop (state `paused`); a queued job pauses at once."""
    job = get(job_id)
    if job.state is JobState.QUEUED:
        _move(job, JobState.PAUSED, [JobState.QUEUED], "paused before it started")
    elif job.state is JobState.RUNNING:
        control.request(JobDir(Path(job.job_dir)).control_file, "pause", "requested by user")
        _move(job, JobState.PAUSING, [JobState.RUNNING], "pause requested; checkpointing")
    elif job.state not in (JobState.PAUSING, JobState.PAUSED):
        raise JobStateError(f"job {job.id} is {job.state}; only queued or running jobs can be paused")
    return get(job.id)


def resume(job_id: str, budget_usd: float | None = None, start_now: bool = True) -> JobRecord:
    """Re-queue a paused or budget-frozen job (optionally with a new budget); start it if a slot is free."""
    job = get(job_id)
    if job.state not in (JobState.PAUSED, JobState.BUDGET_FROZEN):
        raise JobStateError(f"job {job.id} is {job.state}; only paused or budget_frozen jobs can be resumed")
    if budget_usd is not None:
        _set_budget(job, budget_usd)
    elif job.state is JobState.BUDGET_FROZEN:
        raise JobStateError(
            f"job {job.id} spent its ${job.budget_usd:g} budget (${job.cost_usd:.4f} used); "
            f"resume it with a higher budget: `omnitune jobs resume {job.id} --budget USD`"
        )
    control.clear(JobDir(Path(job.job_dir)).control_file)
    _move(job, JobState.QUEUED, [job.state], "resumed by user")
    if start_now:
        launch.start(job.id)
    return get(job.id)


def cancel(job_id: str, grace_s: float = 10.0, wait: bool = True) -> JobRecord:
    """Cancel a job: SIGTERM to its worker's process group, SIGKILL after ``grace_s`` (when waiting)."""
    job = get(job_id)
    if job.state.is_terminal:
        raise JobStateError(f"job {job.id} is already {job.state}")
    if job.state not in ACTIVE_STATES:
        _move(job, JobState.CANCELLED, [job.state], "cancelled by user")
        return get(job.id)
    control.request(JobDir(Path(job.job_dir)).control_file, "cancel", "requested by user")
    _move(job, JobState.CANCELLING, list(ACTIVE_STATES), "cancel requested")
    if job.pid is None or not wait:
        return get(job.id)
    killed = terminate_group(job.pid, job.pid_started_at, grace_s)
    job = get(job.id)
    if job.state is JobState.CANCELLING and not is_alive(job.pid, job.pid_started_at):
        reason = f"killed after a {grace_s:g}s grace period" if killed else "worker exited on SIGTERM"
        _move(job, JobState.CANCELLED, [JobState.CANCELLING], reason)
    return get(job.id)


def _move(job: JobRecord, to: JobState, from_states: list[JobState], reason: str) -> None:
    set_state(job.id, job.job_dir, to, from_states=from_states, reason=reason)


def _set_budget(job: JobRecord, budget_usd: float) -> None:
    if budget_usd <= job.cost_usd:
        raise JobStateError(
            f"budget ${budget_usd:g} is not above the ${job.cost_usd:.4f} job {job.id} already spent"
        )
    job_dir = JobDir(Path(job.job_dir))
    job_dir.write_spec(job_dir.read_spec().model_copy(update={"budget_usd": budget_usd}))
    store_jobs.update_job(job.id, budget_usd=budget_usd)
    record_event(job.id, job.job_dir, "budget_raised", budget_usd=budget_usd, previous_usd=job.budget_usd)


def _model_of(plan: TrainingPlan, model_index: int) -> Any:
    if not 0 <= model_index < len(plan.models):
        raise ValueError(
            f"plan {plan.id}: model_index {model_index} is out of range; "
            f"the plan has {len(plan.models)} model(s) in `models`"
        )
    model = plan.models[model_index]
    if model.recipe not in RECIPES:
        known = ", ".join(sorted(RECIPES)) or "none"
        raise ValueError(
            f"plan {plan.id}: models[{model_index}].recipe {model.recipe!r} is not an "
            f"implemented recipe; implemented: {known}"
        )
    return model


def _hourly_rate(plan: TrainingPlan, device: str, explicit: float | None) -> float:
    """The price metered per device-hour: given > CPU setting > prices.yaml > the plan's estimate.

    A local job pays the "local" price of its GPU when prices.yaml lists one (owned hardware),
    otherwise the cheapest listed offer, times the GPU count.
    """
    if explicit is not None:
        return explicit
    if device == "cpu":
        return get_settings().cpu_hourly_rate_usd
    from omnitune.catalog.hardware import get_gpu, load_prices

    gpu = plan.training.gpu
    try:
        offers = load_prices().gpus.get(get_gpu(gpu.type).id, {})
    except KeyError:
        offers = {}
    if offers:
        local = plan.training.executor is Executor.LOCAL and "local" in offers
        return (offers["local"] if local else min(offers.values())) * gpu.count
    est = plan.estimates
    return est.cost_usd.gpu / est.gpu_hours if est.gpu_hours > 0 else 0.0


def _storage_rate() -> float:
    from omnitune.catalog.hardware import load_prices

    return load_prices().storage_usd_per_gb_month
