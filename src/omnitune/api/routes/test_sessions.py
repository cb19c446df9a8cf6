"""`/api/training/test`: temporary side-by-side sessions of a base model and its fine-tuned version."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from omnitune.api.auth import CurrentUser
from omnitune.api.routes.models import owned_version
from omnitune.services import test_sessions

router = APIRouter(prefix="/api/training/test", tags=["test sessions"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeployRequest(_Body):
    """The fine-tuned version to put beside its base."""

    model_id: str = Field(..., min_length=1, max_length=200)


class RunRequest(_Body):
    """One prompt for both models."""

    session_id: str = Field(..., min_length=1, max_length=64)
    prompt: str = Field(..., min_length=1, max_length=8000)
    max_tokens: int = Field(64, ge=1, le=1024)


class CompareRequest(_Body):
    """Several prompts for both models."""

    session_id: str = Field(..., min_length=1, max_length=64)
    prompts: list[str] = Field(..., min_length=1, max_length=20)
    max_tokens: int = Field(64, ge=1, le=1024)


class RateRequest(_Body):
    """Which answer to a prompt was better."""

    session_id: str = Field(..., min_length=1, max_length=64)
    prompt: str = Field(..., min_length=1, max_length=8000)
    chosen: Literal["base", "fine_tuned"]


@router.post("/deploy")
def deploy(body: DeployRequest, user: CurrentUser) -> dict[str, Any]:
    """Load a version and its base model; returns the session."""
    return test_sessions.deploy(user, owned_version(user, body.model_id)).info()


@router.post("/run")
def run(body: RunRequest, user: CurrentUser) -> dict[str, Any]:
    """Both models' answers to one prompt."""
    session = test_sessions.get(user, body.session_id)
    return {"prompt": body.prompt, **test_sessions.run(session, body.prompt, body.max_tokens)}


@router.post("/compare")
def compare(body: CompareRequest, user: CurrentUser) -> dict[str, Any]:
    """Both models' answers to each prompt."""
    session = test_sessions.get(user, body.session_id)
    rows = [{"prompt": p, **test_sessions.run(session, p, body.max_tokens)} for p in body.prompts]
    return {"session_id": session.id, "results": rows}


@router.post("/rate")
def rate(body: RateRequest, user: CurrentUser) -> dict[str, Any]:
    """Add the pair to your preference set (prompt / chosen / rejected)."""
    path = test_sessions.rate(user, test_sessions.get(user, body.session_id), body.prompt, body.chosen)
    return {"preference_pairs": sum(1 for _ in path.open(encoding="utf-8"))}


@router.get("/sessions/{session_id}")
def get_session(session_id: str, user: CurrentUser) -> dict[str, Any]:
    """An open session."""
    return test_sessions.get(user, session_id).info()


@router.delete("/sessions/{session_id}", status_code=204, response_class=Response)
def close_session(session_id: str, user: CurrentUser) -> Response:
    """Unload a session's models."""
    test_sessions.close(user, session_id)
    return Response(status_code=204)
