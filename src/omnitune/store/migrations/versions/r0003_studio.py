"""Studio: users, API tokens, ownership, secrets (vault), notification preferences.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _user_fk() -> sa.ForeignKey:
    return sa.ForeignKey("users.id", ondelete="CASCADE")


def upgrade() -> None:
    """Create the studio tables."""
    op.create_table(
        "users",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), _user_fk(), nullable=False, index=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "ownership",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("object_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), _user_fk(), nullable=False, index=True),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "secrets",
        sa.Column("user_id", sa.String(64), _user_fk(), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("ciphertext", sa.Text, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "notification_prefs",
        sa.Column("user_id", sa.String(64), _user_fk(), primary_key=True),
        sa.Column("prefs", sa.JSON, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )


def downgrade() -> None:
    """Drop the studio tables."""
    for table in ("notification_prefs", "secrets", "ownership", "api_tokens", "users"):
        op.drop_table(table)
