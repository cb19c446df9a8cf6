"""Plans in the studio: create from English, edit one tile at a time (re-planned), approve into jobs."""

from __future__ import annotations

from typing import Any

from omnitune.plan.schema import TrainingPlan
from omnitune.services import training
from omnitune.services.paths import resolve_data_path
from omnitune.services.users import UserRecord, check_owner
from omnitune.store import ownership
from omnitune.store import plans as store_plans
from omnitune.store.records import JobRecord

USER_SET = ": set by the user"  # the marker training.set_hyperparameters leaves in adjustments


class PlanFieldError(ValueError):
    """A plan edit or approval that cannot apply; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def create_plan(user: UserRecord, prompt: str, **options: Any) -> TrainingPlan:
    """Plan a request with the planner and store it as the user's."""
    if options.get("data_path"):
        options["data_path"] = str(_data_path(options["data_path"], "options.data_path"))
    plan = _build(prompt, "options", **options)
    store_plans.save_plan(plan)
    ownership.set_owner("plan", plan.id, user.id)
    return plan


def get_plan(user: UserRecord, plan_id: str) -> TrainingPlan:
    """One of the user's plans (KeyError when missing or not theirs)."""
    plan = store_plans.get_plan(plan_id)
    check_owner(user, "plan", plan.id)
    return plan


def edit_tile(user: UserRecord, plan_id: str, tile: str, changes: dict[str, Any]) -> TrainingPlan:
    """Apply one tile's changes and re-plan, so estimates and checks always match what is shown."""
    plan = get_plan(user, plan_id)
    if tile == "hyperparameters":
        training.set_hyperparameters(plan, {k: str(v) for k, v in changes["values"].items()})
        store_plans.save_plan(plan)
        return plan
    if "data_path" in changes:
        changes["data_path"] = str(_data_path(changes["data_path"], "path"))
    new = _build(plan.request, tile, **{**_current_options(plan, tile), **changes})
    new.id, new.created_at = plan.id, plan.created_at
    training.set_hyperparameters(new, _user_hyperparameters(plan))
    store_plans.save_plan(new)
    return new


def approve(
    user: UserRecord,
    plan_id: str,
    *,
    data_path: str | None = None,
    max_steps: int | None = None,
    budget_usd: float | None = None,
    model_name: str | None = None,
) -> list[JobRecord]:
    """Queue one job per model of the plan on its data; the supervisor starts them."""
    plan = get_plan(user, plan_id)
    raw = data_path or plan.data.path
    if not raw:
        raise PlanFieldError("data_path", "the plan has no data; set the data tile or give data_path")
    path = _data_path(raw, "data_path")
    for index in range(len(plan.models) or 1):
        training.check_runnable(plan, index)
    jobs = []
    for index in range(len(plan.models)):
        name = model_name if len(plan.models) == 1 or not model_name else f"{model_name}-{index}"
        prepared = training.submit_training(
            plan,
            path,
            model_index=index,
            max_steps=max_steps,
            budget_usd=budget_usd,
            model_name=name,
            owner_id=user.id,
        )
        jobs.append(prepared.job)
    return jobs


def _build(request: str, where: str, **options: Any) -> TrainingPlan:
    from omnitune.plan import build_plan

    try:
        return build_plan(request, **options)
    except KeyError as exc:
        field = (
            "base_model" if "model" in str(exc).lower() else "type" if "gpu" in str(exc).lower() else where
        )
        raise PlanFieldError(field, str(exc).strip("'\"")) from exc


def _current_options(plan: TrainingPlan, tile: str) -> dict[str, Any]:
    """The plan's present choices, so re-planning changes only the edited tile."""
    first = plan.models[0] if plan.models else None
    options: dict[str, Any] = {
        "preset": plan.training.preset,
        "gpu": plan.training.gpu.type,
        "budget_usd": plan.training.budget_usd,
        "data_path": plan.data.path,
        "base_model": first.base_model if first else None,
        "method": first.method if first and tile != "model" else None,
    }
    return options


def _user_hyperparameters(plan: TrainingPlan) -> dict[str, str]:
    keys = [a.split("=", 1)[0] for a in plan.training.adjustments if a.endswith(USER_SET)]
    return {k: str(plan.training.hyperparameters[k]) for k in keys if k in plan.training.hyperparameters}


def _data_path(raw: str, field: str) -> Any:
    try:
        return resolve_data_path(raw)
    except ValueError as exc:
        raise PlanFieldError(field, str(exc)) from exc
