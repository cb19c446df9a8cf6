"""Users, API tokens and access checks, shared by `omnitune users` and the studio API."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid

from omnitune.store import ownership
from omnitune.store import users as store_users
from omnitune.store.users import UserNotFoundError, UserRecord

__all__ = [
    "AccessDeniedError",
    "UserNotFoundError",
    "UserRecord",
    "add_user",
    "authenticate",
    "check_owner",
    "ensure_first_admin",
    "issue_token",
    "visible_ids",
]

ROLES = ("admin", "user")
TOKEN_PREFIX = "ot_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class AccessDeniedError(PermissionError):
    """The user may not see or change this object."""


def add_user(name: str, role: str = "user", email: str = "") -> UserRecord:
    """Create a user (names: letters, digits, . _ @ -; role admin or user)."""
    if not _NAME.match(name):
        raise ValueError(f"user name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-'")
    if role not in ROLES:
        raise ValueError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    return store_users.insert_user(uuid.uuid4().hex[:12], name, role, email)


def issue_token(user_ref: str, label: str = "") -> str:
    """A new API token for the user; only its sha256 is stored, so this is the one time it is seen."""
    user = store_users.get_user(user_ref)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    store_users.insert_token(uuid.uuid4().hex[:12], user.id, _hash(token), label)
    return token


def authenticate(token: str) -> UserRecord | None:
    """The user holding this token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return store_users.user_for_token_hash(_hash(token))


def ensure_first_admin() -> str | None:
    """On first run (no users yet) create the `admin` user and return its token, else None."""
    if store_users.count_users():
        return None
    add_user("admin", "admin")
    return issue_token("admin", "first run")


def check_owner(user: UserRecord, kind: str, object_id: str) -> None:
    """Raise AccessDeniedError unless the user owns the object (admins may see everything)."""
    if user.is_admin:
        return
    if ownership.owner_of(kind, object_id) != user.id:
        raise AccessDeniedError(f"{kind} {object_id!r} does not belong to user {user.name!r}")


def visible_ids(user: UserRecord, kind: str) -> set[str] | None:
    """Ids of ``kind`` the user may see; None means all (admin)."""
    return None if user.is_admin else ownership.owned_ids(kind, user.id)


def get_user(ref: str) -> UserRecord:
    """A user by id or name."""
    return store_users.get_user(ref)


def list_users() -> list[UserRecord]:
    """All users."""
    return store_users.list_users()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
