"""`/api/training/deploy`: start, list and stop OpenAI-compatible endpoints for your versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from omnitune.api.auth import CurrentUser
from omnitune.api.routes.models import owned_version
from omnitune.services import deployments

router = APIRouter(prefix="/api/training", tags=["models"])


@router.post("/deploy/{version}")
def deploy(version: str, user: CurrentUser) -> dict[str, Any]:
    """Serve a version at http://127.0.0.1:PORT/v1 (checksum-verified first); returns the URL."""
    return deployments.deploy(user.id, owned_version(user, version)).info()


@router.get("/deployments")
def list_deployments(user: CurrentUser) -> dict[str, Any]:
    """Your running endpoints (admins: all)."""
    mine = deployments.list_deployments(None if user.is_admin else user.id)
    return {"deployments": [d.info() for d in mine]}


@router.delete("/deploy/{version}", status_code=204, response_class=Response)
def undeploy(version: str, user: CurrentUser) -> Response:
    """Stop a version's endpoint."""
    if not deployments.stop(owned_version(user, version).id):
        raise KeyError(f"{version} is not deployed")
    return Response(status_code=204)
