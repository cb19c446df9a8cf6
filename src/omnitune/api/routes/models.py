"""`/api/training/models`: registered versions (yours: those your jobs trained); details, edit, delete,
search and compare go through the registry's use cases."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from omnitune.api.auth import CurrentUser
from omnitune.api.routes.jobs import owned_job
from omnitune.api.schemas import ModelsResponse, RegisterModelRequest
from omnitune.registry import versions as registry
from omnitune.registry.references import resolve_version
from omnitune.services import models, users
from omnitune.services.users import UserRecord
from omnitune.store.records import ModelVersionRecord

router = APIRouter(prefix="/api/training/models", tags=["models"])
_KEY = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class ModelDetail(ModelVersionRecord):
    """A version with its tags, aliases, evaluations and serving usage."""

    tags: dict[str, str] = Field(default_factory=dict)
    aliases: list[str] = Field(default_factory=list)
    evaluations: list[dict[str, Any]] = Field(default_factory=list)
    usage: dict[str, Any] = Field(default_factory=dict)


class ModelUpdate(BaseModel):
    """Tags to set (value "" for a bare tag) or remove, and aliases to point at this version."""

    model_config = ConfigDict(extra="forbid")

    tags: dict[str, str] = Field(default_factory=dict)
    remove_tags: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list, description="e.g. ['production']")


class ModelSearch(BaseModel):
    """Filters; every one given must match."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, max_length=200)
    name: str | None = Field(None, max_length=200)
    method: str | None = Field(None, max_length=64)
    base_model: str | None = Field(None, max_length=200)
    tags: dict[str, str | None] = Field(default_factory=dict)


class CompareRequest(BaseModel):
    """Two or more versions to put side by side."""

    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(..., min_length=2, max_length=8)


class CompareResponse(BaseModel):
    """The versions side by side, and every metric any of them reports."""

    models: list[ModelDetail]
    metrics: list[str]


def owned_version(user: UserRecord, ref: str) -> ModelVersionRecord:
    """A model version the user may see (404 otherwise)."""
    version = resolve_version(ref)
    if not user.is_admin:
        users.check_owner(user, "job", version.job_id)
    return version


def _visible(user: UserRecord, found: list[ModelVersionRecord]) -> list[ModelVersionRecord]:
    visible = users.visible_ids(user, "job")
    return [v for v in found if visible is None or v.job_id in visible]


def _detail(ref: str) -> ModelDetail:
    return ModelDetail.model_validate(registry.details(ref))


@router.get("", response_model=ModelsResponse)
def list_models(user: CurrentUser, name: str | None = None) -> ModelsResponse:
    """Your registered model versions, newest first."""
    return ModelsResponse(models=_visible(user, models.list_versions(name)))


@router.post("", response_model=ModelVersionRecord, status_code=201)
def register(body: RegisterModelRequest, user: CurrentUser) -> ModelVersionRecord:
    """Register a finished job's artefact as the next version of a name."""
    return models.register(owned_job(user, body.job_id).id, body.name)


@router.post("/search", response_model=ModelsResponse)
def search(body: ModelSearch, user: CurrentUser) -> ModelsResponse:
    """Your versions matching text, name, method, base model and tags."""
    found = registry.search(body.name, body.tags, body.method, body.base_model, body.text)
    return ModelsResponse(models=_visible(user, found))


@router.post("/compare", response_model=CompareResponse)
def compare(body: CompareRequest, user: CurrentUser) -> CompareResponse:
    """Lineage, metrics and evaluations of several versions, side by side."""
    details = [_detail(owned_version(user, ref).id) for ref in body.ids]
    metrics = sorted({key for d in details for key in d.metrics})
    return CompareResponse(models=details, metrics=metrics)


@router.get("/{model_id}", response_model=ModelDetail)
def get_model(model_id: str, user: CurrentUser) -> ModelDetail:
    """One version by id, NAME:vN or NAME@alias, with tags, aliases, evaluations and usage."""
    return _detail(owned_version(user, model_id).id)


@router.put("/{model_id}", response_model=ModelDetail)
def update_model(model_id: str, body: ModelUpdate, user: CurrentUser) -> ModelDetail:
    """Set or remove tags and point aliases at this version (audited)."""
    version = owned_version(user, model_id)
    for key, value in body.tags.items():
        _check_key("tags", key)
        registry.tag(version.id, key, value)
    for key in body.remove_tags:
        registry.untag(version.id, key)
    for alias in body.aliases:
        _check_key("aliases", alias)
        registry.set_alias(version.id, alias)
    return _detail(version.id)


@router.delete("/{model_id}", status_code=204, response_class=Response)
def delete_model(model_id: str, user: CurrentUser, force: bool = False) -> Response:
    """Delete a version's files and records (refused while an alias points at it, unless force)."""
    registry.remove(owned_version(user, model_id).id, force=force)
    return Response(status_code=204)


def _check_key(field: str, key: str) -> None:
    import re

    from omnitune.services.plans import PlanFieldError

    if not re.match(_KEY, key):
        raise PlanFieldError(field, f"{field}: {key!r} must be 1-64 letters, digits, '.', '_' or '-'")
