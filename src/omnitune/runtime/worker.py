"""The worker: `python -m omnitune.runtime.worker JOB_DIR` runs one job's recipe and records the outcome.

It reads `job.json` and `plan.json`, resumes from the latest complete checkpoint, meters cost,
obeys pause/cancel/budget between steps, and ends in a recorded state: succeeded, paused,
budget_frozen, cancelled or failed (message in the state event, traceback in `worker.log`).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.checkpointing import latest_checkpoint
from omnitune.runtime.budget import BudgetMeter, prior_usage
from omnitune.runtime.events import iter_events, json_safe
from omnitune.runtime.index import sync_checkpoints
from omnitune.runtime.jobdir import JobDir, JobSpec
from omnitune.runtime.process import is_alive, start_time
from omnitune.runtime.sink import JobEventSink, WorkerStopControl
from omnitune.runtime.states import record_event, set_state
from omnitune.store import jobs
from omnitune.types import JobState

_FINAL_STATE = {
    "completed": JobState.SUCCEEDED,
    "paused": JobState.PAUSED,
    "budget_frozen": JobState.BUDGET_FROZEN,
    "cancelled": JobState.CANCELLED,
}
_ACTIVE = (JobState.RUNNING, JobState.PAUSING, JobState.CANCELLING)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (0 unless the job failed)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m omnitune.runtime.worker JOB_DIR", file=sys.stderr)
        return 2
    job_dir = JobDir(Path(args[0]).resolve())
    spec = job_dir.read_spec()
    _take_ownership(spec, job_dir)
    try:
        final, reason, result = _run(spec, job_dir)
    except Exception as exc:
        traceback.print_exc()
        message = f"{type(exc).__name__}: {exc}"
        set_state(
            spec.job_id,
            job_dir.root,
            JobState.FAILED,
            from_states=_ACTIVE,
            reason=message,
            columns={"error": message},
            error=message,
        )
        return 1
    _finish(spec, job_dir, final, reason, result)
    return 0


def _take_ownership(spec: JobSpec, job_dir: JobDir) -> None:
    """Claim a queued job (when started by hand) and record this process as its worker."""
    job = jobs.get_job(spec.job_id)
    if job.state is JobState.QUEUED:
        if jobs.claim(spec.job_id) is None:
            raise SystemExit(f"job {spec.job_id} was claimed by another worker")
    elif job.state not in _ACTIVE:
        raise SystemExit(f"job {spec.job_id} is {job.state}; only a queued or active job can run")
    elif job.pid not in (None, os.getpid()) and is_alive(job.pid, job.pid_started_at):
        raise SystemExit(f"job {spec.job_id} is already run by live worker pid {job.pid}")
    jobs.update_job(spec.job_id, pid=os.getpid(), pid_started_at=start_time(os.getpid()))


def _run(spec: JobSpec, job_dir: JobDir) -> tuple[JobState, str, RecipeResult | None]:
    plan = job_dir.read_plan()
    model = job_dir.model_choice(spec, plan)
    prior_s, alerts = prior_usage(iter_events(job_dir.events_file), spec.budget_usd)
    meter = BudgetMeter(
        spec.hourly_rate_usd,
        spec.budget_usd,
        prior_device_s=prior_s,
        storage_usd_per_gb_month=spec.storage_usd_per_gb_month,
        storage_root=job_dir.root,
        alerts_sent=alerts,
    )
    sink = JobEventSink(spec.job_id, job_dir.root, meter, spec.max_steps)
    stop = WorkerStopControl(job_dir.control_file, meter, sink)
    stop.install_signal_handlers()
    resume_from = latest_checkpoint(job_dir.checkpoints_dir)
    where = f"resuming from {resume_from.name}" if resume_from else "starting from scratch"
    sink.emit(
        "state",
        state=str(JobState.RUNNING),
        reason=f"worker pid {os.getpid()} {where}",
        resume_from=str(resume_from) if resume_from else None,
        pid=os.getpid(),
        pid_started_at=start_time(os.getpid()),
    )
    for alert in meter.new_alerts():
        sink.emit("budget_alert", **alert)
    if meter.exhausted():
        return JobState.BUDGET_FROZEN, "budget already spent; resume with --budget", None
    from omnitune.recipes.registry import get_recipe

    ctx = RecipeContext(
        plan=plan,
        model=model,
        data_dir=Path(spec.data_dir),
        output_dir=job_dir.output_dir,
        checkpoints_dir=job_dir.checkpoints_dir,
        events=sink,
        control=stop,
        resume_from=resume_from,
        max_steps=spec.max_steps,
        seed=spec.seed,
        device=spec.device,
        extra=dict(spec.extra),
    )
    result = get_recipe(spec.recipe).run(ctx)
    sink.emit(
        "result",
        status=result.status,
        step=result.step,
        metrics=result.metrics,
        artefact_dir=str(result.artefact_dir) if result.artefact_dir else None,
    )
    sink.flush()
    final = _FINAL_STATE[result.status]
    return final, _reason(final, result, meter), result


def _reason(final: JobState, result: RecipeResult, meter: BudgetMeter) -> str:
    if final is JobState.BUDGET_FROZEN:
        return f"budget ${meter.budget_usd:g} reached at ${meter.cost_usd():.4f}; resume with --budget"
    if final is JobState.PAUSED:
        return f"paused at step {result.step}"
    if final is JobState.CANCELLED:
        return f"cancelled at step {result.step}"
    return f"finished {result.step} steps"


def _finish(
    spec: JobSpec, job_dir: JobDir, final: JobState, reason: str, result: RecipeResult | None
) -> None:
    sync_checkpoints(spec.job_id, job_dir.checkpoints_dir)
    columns: dict[str, object] = {}
    if result is not None:
        columns = {"step": result.step, "metrics": json_safe(result.metrics)}
    if final is JobState.SUCCEEDED and spec.register_model:
        jobs.update_job(spec.job_id, **columns)
        _register(spec, job_dir)
    set_state(spec.job_id, job_dir.root, final, from_states=_ACTIVE, reason=reason, columns=columns)


def _register(spec: JobSpec, job_dir: JobDir) -> None:
    """Register the trained model; a failure is reported but does not undo the training."""
    from omnitune.services import models

    try:
        version = models.register(spec.job_id, name=spec.model_name)
    except Exception as exc:
        traceback.print_exc()
        record_event(spec.job_id, job_dir.root, "error", error=f"registering the model failed: {exc}")
        return
    record_event(spec.job_id, job_dir.root, "registered", model_version=version.ref, id=version.id)


if __name__ == "__main__":
    sys.exit(main())
