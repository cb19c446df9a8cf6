"""Health, who-am-I, and the browser login that turns a token into a session cookie."""

from __future__ import annotations

from fastapi import APIRouter, Response

from omnitune import __version__
from omnitune.api.auth import COOKIE, CurrentUser, NotAuthenticatedError
from omnitune.api.schemas import LoginRequest, UserResponse
from omnitune.services import users

router = APIRouter(tags=["system"])


@router.get("/api/training/health")
def health() -> dict[str, str]:
    """Liveness and the store's reachability (no token needed)."""
    users.list_users()  # touches the database: a broken store answers with an error, not "ok"
    return {"status": "ok", "version": __version__}


@router.get("/api/me", response_model=UserResponse)
def me(user: CurrentUser) -> UserResponse:
    """The user the token belongs to."""
    return UserResponse(**user.model_dump(include={"id", "name", "role", "email"}))


@router.post("/api/login", response_model=UserResponse)
def login(body: LoginRequest, response: Response) -> UserResponse:
    """Check a token and keep it in an HttpOnly, SameSite=Strict cookie for the web UI."""
    user = users.authenticate(body.token)
    if user is None:
        raise NotAuthenticatedError("invalid token; create one with `omnitune users token NAME`")
    response.set_cookie(COOKIE, body.token, httponly=True, samesite="strict", max_age=30 * 24 * 3600)
    return UserResponse(**user.model_dump(include={"id", "name", "role", "email"}))


@router.post("/api/logout")
def logout(response: Response) -> dict[str, bool]:
    """Forget the session cookie."""
    response.delete_cookie(COOKIE)
    return {"ok": True}
