"""`/api/training/jobs`: list, inspect, pause, resume, cancel, logs."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Query

from omnitune.api.auth import CurrentUser
from omnitune.api.schemas import CreateJobsRequest, JobResponse, JobsResponse, LogsResponse, ResumeRequest
from omnitune.runtime.jobdir import JobDir
from omnitune.services import jobs, plans, users
from omnitune.services.users import UserRecord
from omnitune.types import JobState

router = APIRouter(prefix="/api/training/jobs", tags=["jobs"])


def owned_job(user: UserRecord, job_id: str) -> jobs.JobRecord:
    """A job the user may see (404 otherwise)."""
    job = jobs.get(job_id)
    users.check_owner(user, "job", job.id)
    return job


@router.get("", response_model=JobsResponse)
def list_jobs(user: CurrentUser, state: JobState | None = None) -> JobsResponse:
    """Your jobs, newest first (admins see all)."""
    visible = users.visible_ids(user, "job")
    return JobsResponse(jobs=[j for j in jobs.list_jobs(state) if visible is None or j.id in visible])


@router.post("", response_model=JobsResponse)
def create_jobs(body: CreateJobsRequest, user: CurrentUser) -> JobsResponse:
    """Queue the job(s) of one of your plans (the same as approving it)."""
    options = body.model_dump(exclude={"plan_id"})
    return JobsResponse(jobs=plans.approve(user, body.plan_id, **options))


@router.get("/{job_id}", response_model=JobResponse)
def get_job(job_id: str, user: CurrentUser) -> JobResponse:
    """A job with checkpoints, latest metrics and model versions."""
    return JobResponse.model_validate(jobs.describe(owned_job(user, job_id).id))


@router.post("/{job_id}/pause", response_model=JobResponse)
def pause(job_id: str, user: CurrentUser) -> JobResponse:
    """Checkpoint and stop; resume later from the checkpoint."""
    jobs.pause(owned_job(user, job_id).id)
    return JobResponse.model_validate(jobs.describe(job_id))


@router.post("/{job_id}/resume", response_model=JobResponse)
def resume(job_id: str, user: CurrentUser, body: ResumeRequest | None = None) -> JobResponse:
    """Re-queue a paused or budget-frozen job (with a new budget for the latter)."""
    budget = body.budget_usd if body else None
    jobs.resume(owned_job(user, job_id).id, budget_usd=budget, start_now=False)
    return JobResponse.model_validate(jobs.describe(job_id))


@router.post("/{job_id}/cancel", response_model=JobResponse)
def cancel(job_id: str, user: CurrentUser) -> JobResponse:
    """Cancel: the worker is signalled; the supervisor kills it after a grace period."""
    jobs.cancel(owned_job(user, job_id).id, wait=False)
    return JobResponse.model_validate(jobs.describe(job_id))


@router.get("/{job_id}/logs", response_model=LogsResponse)
def logs(job_id: str, user: CurrentUser, lines: int = Query(200, ge=1, le=5000)) -> LogsResponse:
    """The last ``lines`` lines of the worker's log."""
    job = owned_job(user, job_id)
    log_file = JobDir(Path(job.job_dir)).log_file
    text = log_file.read_text(encoding="utf-8", errors="replace") if log_file.is_file() else ""
    return LogsResponse(job_id=job.id, lines=text.splitlines()[-lines:])
