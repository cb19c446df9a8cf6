"""Users and their API tokens (only a token's sha256 is stored)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict

from omnitune.store.db import session_scope
from omnitune.store.studio_tables import ApiTokenRow, UserRow
from omnitune.store.tables import utcnow


class UserNotFoundError(KeyError):
    """No user matches the name or id given."""

    def __str__(self) -> str:
        return str(self.args[0])


class UserRecord(BaseModel):
    """A studio user."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: str
    email: str = ""
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        """True for the admin role."""
        return self.role == "admin"


def insert_user(user_id: str, name: str, role: str, email: str = "") -> UserRecord:
    """Insert a user; ValueError when the name is taken."""
    with session_scope() as session:
        if session.scalar(sa.select(UserRow.id).where(UserRow.name == name)) is not None:
            raise ValueError(f"user name {name!r} is taken; choose another")
        row = UserRow(id=user_id, name=name, role=role, email=email, created_at=utcnow())
        session.add(row)
        session.flush()
        return UserRecord.model_validate(row)


def get_user(ref: str) -> UserRecord:
    """A user by id or name."""
    with session_scope() as session:
        row = (
            session.get(UserRow, ref)
            or session.scalars(sa.select(UserRow).where(UserRow.name == ref)).first()
        )
        if row is None:
            raise UserNotFoundError(f"no user {ref!r}; see `omnitune users list`")
        return UserRecord.model_validate(row)


def list_users() -> list[UserRecord]:
    """All users, oldest first."""
    with session_scope() as session:
        return [
            UserRecord.model_validate(r)
            for r in session.scalars(sa.select(UserRow).order_by(UserRow.created_at))
        ]


def count_users() -> int:
    """How many users exist."""
    with session_scope() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(UserRow)) or 0)


def insert_token(token_id: str, user_id: str, token_sha256: str, label: str = "") -> None:
    """Store a token's hash for a user."""
    with session_scope() as session:
        session.add(
            ApiTokenRow(
                id=token_id, user_id=user_id, token_sha256=token_sha256, label=label, created_at=utcnow()
            )
        )


def user_for_token_hash(token_sha256: str) -> UserRecord | None:
    """The user a token hash belongs to, if any."""
    query = (
        sa.select(UserRow)
        .join(ApiTokenRow, ApiTokenRow.user_id == UserRow.id)
        .where(ApiTokenRow.token_sha256 == token_sha256)
    )
    with session_scope() as session:
        row = session.scalars(query).first()
        return UserRecord.model_validate(row) if row is not None else None


def set_email(user_id: str, email: str) -> None:
    """Change a user's email address."""
    with session_scope() as session:
        session.execute(sa.update(UserRow).where(UserRow.id == user_id).values(email=email))
