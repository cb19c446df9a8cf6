"""`/api/training/evaluate/{id}`: evaluate one of your versions (against a baseline, with gates)."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks
from pydantic import BaseModel, ConfigDict, Field

from omnitune.api.auth import CurrentUser
from omnitune.api.routes.models import owned_version
from omnitune.evaluate.report import EvalReport
from omnitune.services.paths import resolve_data_path
from omnitune.services.users import UserRecord

router = APIRouter(prefix="/api/training", tags=["models"])


class EvaluateRequest(BaseModel):
    """Data (default: the validation split the version trained with), baseline, gates and size."""

    model_config = ConfigDict(extra="forbid")

    data_path: str | None = Field(None, max_length=4096)
    against: str | None = Field(None, max_length=200, description="'base', a version or a catalog id.")
    gates: list[str] = Field(default_factory=list, max_length=20, description="e.g. 'eval_loss<3'.")
    limit: int = Field(20, ge=1, le=500, description="Examples to evaluate.")
    max_new_tokens: int = Field(32, ge=1, le=512)


@router.post("/evaluate/{model_id}", response_model=EvalReport)
def evaluate(
    model_id: str, user: CurrentUser, background: BackgroundTasks, body: EvaluateRequest | None = None
) -> EvalReport:
    """Run the evaluation now, store the report with the version, and notify you of its gate results."""
    from omnitune.services.evaluation import EvalRequest
    from omnitune.services.evaluation import evaluate as run_evaluation
    from omnitune.services.notifications import notify_gates

    body = body or EvaluateRequest()  # type: ignore[call-arg]
    version = owned_version(user, model_id)
    data = resolve_data_path(body.data_path) if body.data_path else None
    against = _baseline(user, body.against)
    request = EvalRequest(model=version.id, data=data, against=against, gates=body.gates,
                          limit=body.limit, max_new_tokens=body.max_new_tokens)  # fmt: skip
    report = run_evaluation(request)[0]
    background.add_task(notify_gates, user.id, version.ref, version.job_id or None, report.gates)
    return report


def _baseline(user: UserRecord, ref: str | None) -> str | None:
    """'base', one of the user's versions, or a catalog id; never a server path."""
    from omnitune.catalog import get_model
    from omnitune.services.plans import PlanFieldError
    from omnitune.store.model_versions import ModelVersionNotFoundError

    if ref is None or ref == "base":
        return ref
    try:
        return owned_version(user, ref).id
    except (ModelVersionNotFoundError, PermissionError):
        pass
    try:
        return get_model(ref).id
    except KeyError:
        raise PlanFieldError(
            "against", f"{ref!r} is neither 'base', one of your versions, nor a catalog id"
        ) from None
