"""`/api/training/models`: registered model versions (yours: those trained by your jobs)."""

from __future__ import annotations

from fastapi import APIRouter

from omnitune.api.auth import CurrentUser
from omnitune.api.routes.jobs import owned_job
from omnitune.api.schemas import ModelsResponse, RegisterModelRequest
from omnitune.services import models, users
from omnitune.services.users import UserRecord
from omnitune.store.records import ModelVersionRecord

router = APIRouter(prefix="/api/training/models", tags=["models"])


def owned_version(user: UserRecord, ref: str) -> ModelVersionRecord:
    """A model version the user may see (404 otherwise)."""
    version = models.get_version(ref)
    if not user.is_admin:
        users.check_owner(user, "job", version.job_id)
    return version


@router.get("", response_model=ModelsResponse)
def list_models(user: CurrentUser, name: str | None = None) -> ModelsResponse:
    """Your registered model versions, newest first."""
    visible = users.visible_ids(user, "job")
    found = models.list_versions(name)
    return ModelsResponse(models=[v for v in found if visible is None or v.job_id in visible])


@router.post("", response_model=ModelVersionRecord, status_code=201)
def register(body: RegisterModelRequest, user: CurrentUser) -> ModelVersionRecord:
    """Register a finished job's artefact as the next version of a name."""
    return models.register(owned_job(user, body.job_id).id, body.name)


@router.get("/{model_id}", response_model=ModelVersionRecord)
def get_model(model_id: str, user: CurrentUser) -> ModelVersionRecord:
    """One model version by id or NAME[:vN]."""
    return owned_version(user, model_id)
