"""Studio tables: users, API tokens, who owns what, the credential vault, notification preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from omnitune.store.tables import Base


class UserRow(Base):
    """A studio user; role is 'admin' or 'user'."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    role: Mapped[str] = mapped_column(sa.String(16), default="user")
    email: Mapped[str] = mapped_column(sa.String(320), default="")
    created_at: Mapped[datetime]


class ApiTokenRow(Base):
    """An API token, stored only as the sha256 of its secret."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime]


class OwnershipRow(Base):
    """Which user owns a plan or a job (models follow the job that trained them)."""

    __tablename__ = "ownership"

    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    object_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]


class SecretRow(Base):
    """One encrypted credential (Fernet token); the plaintext never reaches the database."""

    __tablename__ = "secrets"

    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    ciphertext: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]


class NotificationPrefRow(Base):
    """A user's notification preferences (channels and events) as JSON."""

    __tablename__ = "notification_prefs"

    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    prefs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]
