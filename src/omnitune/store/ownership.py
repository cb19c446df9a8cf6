"""Who owns which plan and job; each user sees only their own (admins see all)."""

from __future__ import annotations

import sqlalchemy as sa

from omnitune.store.db import session_scope
from omnitune.store.studio_tables import OwnershipRow
from omnitune.store.tables import utcnow


def set_owner(kind: str, object_id: str, user_id: str) -> None:
    """Record that ``user_id`` owns ``kind``/``object_id`` (idempotent)."""
    with session_scope() as session:
        session.merge(OwnershipRow(kind=kind, object_id=object_id, user_id=user_id, created_at=utcnow()))


def owner_of(kind: str, object_id: str) -> str | None:
    """The owning user's id, or None when nobody owns it (made outside the studio)."""
    with session_scope() as session:
        row = session.get(OwnershipRow, (kind, object_id))
        return row.user_id if row is not None else None


def owned_ids(kind: str, user_id: str) -> set[str]:
    """Ids of every ``kind`` object the user owns."""
    query = sa.select(OwnershipRow.object_id).where(
        OwnershipRow.kind == kind, OwnershipRow.user_id == user_id
    )
    with session_scope() as session:
        return set(session.scalars(query))


def owners(kind: str) -> dict[str, str]:
    """object id -> owning user id, for every ``kind`` object that has an owner."""
    query = sa.select(OwnershipRow.object_id, OwnershipRow.user_id).where(OwnershipRow.kind == kind)
    with session_scope() as session:
        return {object_id: user_id for object_id, user_id in session.execute(query)}
