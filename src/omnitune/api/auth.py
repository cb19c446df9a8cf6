"""Who is asking: a Bearer token (API) or the session cookie set by /login (browser)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, WebSocket

from omnitune.services import users
from omnitune.services.users import UserRecord

COOKIE = "omnitune_token"


class NotAuthenticatedError(HTTPException):
    """No valid token: 401 with a hint."""

    def __init__(self, detail: str) -> None:
        super().__init__(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _token_from(headers: dict[str, str] | object, cookies: dict[str, str]) -> str | None:
    header = getattr(headers, "get", lambda _k: None)("authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return cookies.get(COOKIE)


def _user_for(token: str | None) -> UserRecord:
    if not token:
        raise NotAuthenticatedError(
            "missing token: send 'Authorization: Bearer <token>' (see `omnitune users token`)"
        )
    user = users.authenticate(token)
    if user is None:
        raise NotAuthenticatedError("invalid token; create one with `omnitune users token NAME`")
    return user


def current_user(request: Request) -> UserRecord:
    """The authenticated user of an HTTP request (401 otherwise)."""
    return _user_for(_token_from(request.headers, request.cookies))


def websocket_user(websocket: WebSocket) -> UserRecord:
    """The user of a WebSocket: header, cookie, or ?token= (browsers cannot set WebSocket headers)."""
    return _user_for(_token_from(websocket.headers, websocket.cookies) or websocket.query_params.get("token"))


def admin_user(user: Annotated[UserRecord, Depends(current_user)]) -> UserRecord:
    """The current user, who must be an admin (403 otherwise)."""
    if not user.is_admin:
        raise HTTPException(403, f"user {user.name!r} is not an admin")
    return user


CurrentUser = Annotated[UserRecord, Depends(current_user)]
AdminUser = Annotated[UserRecord, Depends(admin_user)]
