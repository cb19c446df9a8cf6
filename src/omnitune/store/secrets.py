"""Encrypted credentials per user (the store only ever sees ciphertext)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from omnitune.store.db import session_scope
from omnitune.store.studio_tables import SecretRow
from omnitune.store.tables import utcnow


def put_secret(user_id: str, name: str, ciphertext: str) -> datetime:
    """Insert or replace one credential's ciphertext; returns when it was stored."""
    now = utcnow()
    with session_scope() as session:
        session.merge(SecretRow(user_id=user_id, name=name, ciphertext=ciphertext, updated_at=now))
    return now


def get_ciphertext(user_id: str, name: str) -> str | None:
    """A credential's ciphertext, or None."""
    with session_scope() as session:
        row = session.get(SecretRow, (user_id, name))
        return row.ciphertext if row is not None else None


def list_secret_names(user_id: str) -> list[tuple[str, datetime]]:
    """(name, updated_at) of a user's credentials, by name."""
    query = sa.select(SecretRow.name, SecretRow.updated_at).where(SecretRow.user_id == user_id)
    with session_scope() as session:
        return [(name, ts) for name, ts in session.execute(query.order_by(SecretRow.name))]


def delete_secret(user_id: str, name: str) -> bool:
    """Forget a credential; True when one was there."""
    with session_scope() as session:
        result = session.execute(
            sa.delete(SecretRow).where(SecretRow.user_id == user_id, SecretRow.name == name)
        )
        return bool(getattr(result, "rowcount", 0))
