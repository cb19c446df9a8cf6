"""`/api/training/statistics`: your jobs by state, device time, spend and models."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter
from pydantic import BaseModel

from omnitune.api.auth import CurrentUser
from omnitune.services import jobs, models, users

router = APIRouter(prefix="/api/training", tags=["system"])


class Statistics(BaseModel):
    """Totals over what you can see."""

    jobs: int
    jobs_by_state: dict[str, int]
    total_cost_usd: float
    total_steps: int
    models: int


@router.get("/statistics", response_model=Statistics)
def statistics(user: CurrentUser) -> Statistics:
    """Counts and totals of your jobs and models."""
    visible = users.visible_ids(user, "job")
    mine = [j for j in jobs.list_jobs() if visible is None or j.id in visible]
    versions = [v for v in models.list_versions() if visible is None or v.job_id in visible]
    return Statistics(
        jobs=len(mine), jobs_by_state=dict(Counter(str(j.state) for j in mine)),
        total_cost_usd=round(sum(j.cost_usd for j in mine), 6), total_steps=sum(j.step for j in mine),
        models=len(versions),
    )  # fmt: skip
