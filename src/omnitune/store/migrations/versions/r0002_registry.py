"""Registry: aliases (with history for rollback), tags, audit log, evaluation reports, serving usage.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _version_fk() -> sa.ForeignKey:
    return sa.ForeignKey("model_versions.id", ondelete="CASCADE")


def upgrade() -> None:
    """Create the registry tables."""
    op.create_table(
        "model_alias_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, index=True),
        sa.Column("alias", sa.String(64), nullable=False),
        sa.Column("version_id", sa.String(64), _version_fk(), nullable=False),
        sa.Column("set_at", _TS, nullable=False),
    )
    op.create_table(
        "model_tags",
        sa.Column("version_id", sa.String(64), _version_fk(), primary_key=True),
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "registry_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts", _TS, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("ref", sa.String(300), nullable=False, index=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_table(
        "model_evaluations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("version_id", sa.String(64), _version_fk(), nullable=True, index=True),
        sa.Column("model_ref", sa.String(300), nullable=False),
        sa.Column("against_ref", sa.String(300), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=True),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("report_path", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "serving_usage",
        sa.Column("version_id", sa.String(64), _version_fk(), primary_key=True),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("prompt_tokens", sa.Integer, nullable=False),
        sa.Column("completion_tokens", sa.Integer, nullable=False),
        sa.Column("last_used_at", _TS, nullable=True),
    )


def downgrade() -> None:
    """Drop the registry tables."""
    tables = ("serving_usage", "model_evaluations", "registry_audit", "model_tags", "model_alias_history")
    for table in tables:
        op.drop_table(table)
