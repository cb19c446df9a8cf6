"""`/api/training`: parse-intent, plans, tile edits, approval."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from omnitune.api.auth import CurrentUser
from omnitune.api.schemas import (
    ApproveRequest,
    JobsResponse,
    ParseIntentRequest,
    PlanResponse,
    Tile,
    TileEdit,
)
from omnitune.services import plans

router = APIRouter(prefix="/api/training", tags=["plans"])

TILE_FIELDS: dict[Tile, dict[str, str]] = {
    Tile.MODEL: {"base_model": "base_model"},
    Tile.METHOD: {"method": "method"},
    Tile.DATA: {"path": "data_path"},
    Tile.GPU: {"type": "gpu"},
    Tile.BUDGET: {"budget_usd": "budget_usd", "preset": "preset"},
    Tile.HYPERPARAMETERS: {"values": "values", "preset": "preset"},
}


@router.post("/parse-intent", response_model=PlanResponse)
async def parse_intent(body: ParseIntentRequest, user: CurrentUser) -> PlanResponse:
    """Turn a plain-English goal into a stored, reviewable plan."""
    options = body.options.model_dump(exclude_none=True)
    plan = await run_in_threadpool(plans.create_plan, user, body.prompt, **options)
    return PlanResponse(plan=plan)


@router.get("/plans/{plan_id}", response_model=PlanResponse)
def get_plan(plan_id: str, user: CurrentUser) -> PlanResponse:
    """One of your plans."""
    return PlanResponse(plan=plans.get_plan(user, plan_id))


@router.put("/plans/{plan_id}/tiles/{tile}", response_model=PlanResponse)
def edit_tile(plan_id: str, tile: Tile, body: TileEdit, user: CurrentUser) -> PlanResponse:
    """Edit one tile; the plan is re-planned, re-estimated and re-checked."""
    return PlanResponse(plan=plans.edit_tile(user, plan_id, tile.value, tile_changes(tile, body)))


@router.post("/plans/{plan_id}/approve", response_model=JobsResponse)
def approve(plan_id: str, user: CurrentUser, body: ApproveRequest | None = None) -> JobsResponse:
    """Approve the plan: prepare its data and queue its job(s)."""
    options = (body or ApproveRequest()).model_dump()  # type: ignore[call-arg]
    return JobsResponse(jobs=plans.approve(user, plan_id, **options))


def tile_changes(tile: Tile, body: TileEdit) -> dict[str, object]:
    """The body's fields that belong to ``tile``; a field of another tile is an error naming it."""
    allowed = TILE_FIELDS[tile]
    given = body.model_dump(exclude_none=True)
    for name in given:
        if name not in allowed:
            raise plans.PlanFieldError(
                name, f"{name} is not part of the {tile.value} tile; it takes {', '.join(allowed)}"
            )
    if not given:
        raise plans.PlanFieldError(
            next(iter(allowed)), f"the {tile.value} tile needs one of {', '.join(allowed)}"
        )
    return {allowed[name]: value for name, value in given.items()}
