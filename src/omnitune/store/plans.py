"""Stored training plans."""

from __future__ import annotations

from omnitune.plan.schema import TrainingPlan
from omnitune.store.db import session_scope
from omnitune.store.tables import PlanRow


def save_plan(plan: TrainingPlan) -> None:
    """Insert or replace a plan by id."""
    with session_scope() as session:
        session.merge(
            PlanRow(id=plan.id, created_at=plan.created_at, request=plan.request, plan_json=plan.to_json())
        )


def get_plan(plan_id: str) -> TrainingPlan:
    """A stored plan, or KeyError naming the id."""
    with session_scope() as session:
        row = session.get(PlanRow, plan_id)
        if row is None:
            raise KeyError(f"no plan {plan_id!r} in the store")
        return TrainingPlan.model_validate_json(row.plan_json)
