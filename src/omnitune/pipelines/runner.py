"""Run a pipeline: one job per stage in dependency order, retries from checkpoints, resume, detach.

The driver loop reads the stage jobs' states (the job directories are their truth) and writes
`pipeline.json` after every change; it may run in the foreground or as a detached process
(`python -m omnitune.pipelines.driver ID`), and `resume` picks up wherever it stopped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from omnitune.pipelines import record as records
from omnitune.pipelines.record import DONE, IN_FLIGHT, PipelineRecord, StageRecord, StageState
from omnitune.pipelines.stages import PipelineError, apply_base_models, build_stages
from omnitune.plan.schema import TrainingPlan
from omnitune.types import JobState

SETTLED = frozenset({"succeeded", "failed", "stopped"})


def create_pipeline(
    plan: TrainingPlan,
    data: dict[str, str | Path],
    *,
    max_steps: int | None = None,
    budget_usd: float | None = None,
    base_models: dict[str, str] | None = None,
    max_retries: int = 1,
    device: str | None = None,
) -> PipelineRecord:
    """Validate the plan and data and write the pipeline record (no job is submitted yet)."""
    if not plan.models:
        raise PipelineError("the plan names no model to train; re-plan with a clearer request")
    plan = plan.model_copy(deep=True)
    apply_base_models(plan, base_models or {})
    record = records.PipelineRecord(
        plan_id=plan.id,
        request=plan.request,
        type=str(plan.pipeline.type),
        max_steps=max_steps,
        budget_usd=budget_usd,
        max_retries=max_retries,
        device=device,
        stages=build_stages(plan, data),
    )
    records.save(record)
    (records.pipeline_dir(record.id) / "plan.json").write_text(
        plan.model_dump_json(indent=2), encoding="utf-8"
    )
    return record


def run_pipeline(
    plan: TrainingPlan,
    data: dict[str, str | Path],
    *,
    max_steps: int | None = None,
    budget_usd: float | None = None,
    base_models: dict[str, str] | None = None,
    max_retries: int = 1,
    device: str | None = None,
    detach: bool = False,
    poll_s: float = 0.5,
) -> PipelineRecord:
    """Run every stage of ``plan``; with ``detach`` return the record at once while a driver runs it."""
    record = create_pipeline(
        plan,
        data,
        max_steps=max_steps,
        budget_usd=budget_usd,
        base_models=base_models,
        max_retries=max_retries,
        device=device,
    )
    return spawn_driver(record.id) if detach else drive(record.id, poll_s=poll_s)


def resume_pipeline(pipeline_id: str, *, detach: bool = False, poll_s: float = 0.5) -> PipelineRecord:
    """Run a pipeline again: finished stages are skipped, failed ones retry from their checkpoints."""
    record = records.load(pipeline_id)
    if _driver_alive(record):
        raise PipelineError(f"pipeline {record.id} is being run by driver pid {record.driver_pid}")
    for stage in record.stages:
        _reopen(stage)
    record.state, record.reason = "running", "resumed"
    records.save(record)
    return spawn_driver(record.id) if detach else drive(record.id, poll_s=poll_s)


def _reopen(stage: StageRecord) -> None:
    from omnitune.services import jobs

    if stage.state in DONE:
        return
    if stage.job_id and stage.state in (StageState.FAILED, StageState.STOPPED):
        job = jobs.get(stage.job_id)
        if job.state in (JobState.PAUSED, JobState.BUDGET_FROZEN):
            jobs.resume(job.id, start_now=False)
        elif job.state in (JobState.FAILED, JobState.CANCELLED):
            _requeue(stage.job_id, "pipeline resumed")
        stage.state, stage.attempts = StageState.QUEUED, 1
    elif not stage.job_id or stage.state is StageState.BLOCKED:
        stage.state, stage.reason = StageState.PENDING, "waiting for its dependencies"


def spawn_driver(pipeline_id: str) -> PipelineRecord:
    """Start the driver in its own session, so the pipeline outlives the caller; returns at once."""
    record = records.load(pipeline_id)
    log = (records.pipeline_dir(record.id) / "driver.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "omnitune.pipelines.driver", record.id],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    record.driver_pid = process.pid
    return records.save(record)


def drive(pipeline_id: str, *, poll_s: float = 0.5) -> PipelineRecord:
    """Advance the pipeline until no stage can move; returns the settled record."""
    record = records.load(pipeline_id)
    record.driver_pid = os.getpid()
    records.save(record)
    while True:
        advance(record)
        if not _can_progress(record):
            return records.save(_settle(record))
        records.save(record)
        time.sleep(poll_s)


def advance(record: PipelineRecord) -> None:
    """One pass in dependency order: block, submit, start or sync each stage."""
    by_name = {s.name: s for s in record.stages}
    for stage in record.stages:
        if stage.state is StageState.PENDING:
            deps = [by_name[d] for d in stage.depends_on]
            bad = [d for d in deps if d.state in (StageState.FAILED, StageState.BLOCKED)]
            if bad:
                stage.state = StageState.BLOCKED
                stage.reason = f"blocked: stage {bad[0].name!r} {bad[0].state}"
            elif all(d.state in DONE for d in deps):
                _submit(record, stage)
        elif stage.state in IN_FLIGHT:
            _sync(record, stage)


def _submit(record: PipelineRecord, stage: StageRecord) -> None:
    from omnitune.pipelines.submit import submit_stage

    try:
        stage.job_id = submit_stage(record, stage)
    except Exception as exc:  # a data or model problem: the stage fails with the reason, dependants block
        stage.state, stage.reason = StageState.FAILED, f"could not submit: {type(exc).__name__}: {exc}"
        return
    stage.state, stage.attempts, stage.reason = StageState.QUEUED, 1, f"job {stage.job_id} submitted"
    _sync(record, stage)


def _sync(record: PipelineRecord, stage: StageRecord) -> None:
    from omnitune.runtime import launch
    from omnitune.services import jobs

    assert stage.job_id is not None
    job = jobs.get(stage.job_id)
    if job.state is JobState.QUEUED:
        if launch.start(job.id) is None:
            launch.recover_lost(job.device)
        job = jobs.get(job.id)
    elif launch.worker_lost(job):
        launch.recover(job)
        job = jobs.get(job.id)
    if job.state is JobState.SUCCEEDED:
        _succeeded(stage)
    elif job.state is JobState.FAILED and stage.attempts <= record.max_retries:
        stage.attempts += 1
        _requeue(job.id, f"pipeline retry {stage.attempts - 1}/{record.max_retries}")
        stage.state, stage.reason = StageState.QUEUED, f"retrying after: {job.reason}"
    elif job.state in (JobState.FAILED, JobState.CANCELLED):
        stage.state, stage.reason = StageState.FAILED, f"job {job.id} {job.state}: {job.reason}"
    elif job.state in (JobState.PAUSED, JobState.BUDGET_FROZEN):
        stage.state, stage.reason = StageState.STOPPED, f"job {job.id} {job.state}: {job.reason}"
    else:
        stage.state = StageState.QUEUED if job.state is JobState.QUEUED else StageState.RUNNING
        stage.reason = job.reason or ""


def _succeeded(stage: StageRecord) -> None:
    from omnitune.store import model_versions

    versions = model_versions.versions_of_job(stage.job_id or "")
    stage.state, stage.reason = StageState.SUCCEEDED, "trained"
    if versions:
        stage.model_version, stage.artefact_path = versions[0].ref, versions[0].artefact_path


def _requeue(job_id: str, why: str) -> None:
    """A failed or cancelled job goes back to the queue; its worker resumes from the latest checkpoint."""
    from omnitune.recipes.checkpointing import latest_checkpoint
    from omnitune.runtime.jobdir import JobDir
    from omnitune.runtime.states import set_state
    from omnitune.services import jobs

    job = jobs.get(job_id)
    latest = latest_checkpoint(JobDir(Path(job.job_dir)).checkpoints_dir)
    where = latest.name if latest else "the start (no checkpoint yet)"
    set_state(
        job.id,
        job.job_dir,
        JobState.QUEUED,
        from_states=[JobState.FAILED, JobState.CANCELLED],
        reason=f"{why}; resumes from {where}",
        columns={"error": "", "finished_at": None, "pid": None, "pid_started_at": None},
    )


def _can_progress(record: PipelineRecord) -> bool:
    done = {s.name for s in record.stages if s.state in DONE}
    return any(
        s.state in IN_FLIGHT or (s.state is StageState.PENDING and set(s.depends_on) <= done)
        for s in record.stages
    )


def _settle(record: PipelineRecord) -> PipelineRecord:
    states = [s.state for s in record.stages]
    record.driver_pid = None
    if all(s in DONE for s in states):
        record.state, record.reason = "succeeded", "every stage finished"
    elif any(s in (StageState.FAILED, StageState.BLOCKED) for s in states):
        failed = [s.name for s in record.stages if s.state is StageState.FAILED]
        record.state, record.reason = (
            "failed",
            f"stage(s) {failed} failed; fix and `omnitune pipelines resume {record.id}`",
        )
    else:
        record.state, record.reason = "stopped", f"stopped; `omnitune pipelines resume {record.id}` continues"
    return record


def _driver_alive(record: PipelineRecord) -> bool:
    if record.driver_pid is None or record.driver_pid == os.getpid():
        return False
    try:
        os.kill(record.driver_pid, 0)
    except OSError:
        return False
    return record.state not in SETTLED
