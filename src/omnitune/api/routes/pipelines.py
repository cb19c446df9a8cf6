"""`/api/training/pipelines`: start one of your plans as a multi-model pipeline, list yours, and read one
as a graph of stages with dependency edges and live status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from omnitune.api.auth import CurrentUser
from omnitune.services import pipelines

router = APIRouter(prefix="/api/training/pipelines", tags=["pipelines"])


class StartPipelineRequest(BaseModel):
    """A plan to run as a pipeline, with data per stage (or role) and optional base-model overrides."""

    model_config = ConfigDict(extra="forbid")

    plan_id: str = Field(..., min_length=1, max_length=64)
    data: dict[str, str] = Field(
        default_factory=dict, max_length=32, description="stage or role -> a dataset under an allowed root"
    )
    base_models: dict[str, str] = Field(
        default_factory=dict, max_length=32, description="role or stage -> catalog id"
    )
    max_steps: int | None = Field(None, ge=1, le=1_000_000)
    budget_usd: float | None = Field(None, ge=0, le=1_000_000)
    max_retries: int = Field(1, ge=0, le=10)


@router.get("")
def list_pipelines(user: CurrentUser) -> dict[str, Any]:
    """Your pipelines, newest first (admins see all)."""
    return {"pipelines": [pipelines.summary(r) for r in pipelines.list_visible(user)]}


@router.post("")
def start_pipeline(body: StartPipelineRequest, user: CurrentUser) -> dict[str, Any]:
    """Start a pipeline from one of your plans; its driver runs the stages in dependency order."""
    options = body.model_dump(exclude={"plan_id", "data"})
    return pipelines.describe(pipelines.start(user, body.plan_id, body.data, **options))


@router.get("/{pipeline_id}")
def get_pipeline(pipeline_id: str, user: CurrentUser) -> dict[str, Any]:
    """One pipeline as a graph: stages with depth, state and job progress, and dependency edges."""
    return pipelines.describe(pipelines.get(user, pipeline_id))
