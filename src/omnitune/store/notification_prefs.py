"""Per-user notification preferences (a JSON document the services layer validates)."""

from __future__ import annotations

from typing import Any

from omnitune.store.db import session_scope
from omnitune.store.studio_tables import NotificationPrefRow
from omnitune.store.tables import utcnow


def get_prefs(user_id: str) -> dict[str, Any] | None:
    """A user's stored preferences, or None when never set."""
    with session_scope() as session:
        row = session.get(NotificationPrefRow, user_id)
        return dict(row.prefs) if row is not None else None


def put_prefs(user_id: str, prefs: dict[str, Any]) -> None:
    """Replace a user's preferences."""
    with session_scope() as session:
        session.merge(NotificationPrefRow(user_id=user_id, prefs=prefs, updated_at=utcnow()))
