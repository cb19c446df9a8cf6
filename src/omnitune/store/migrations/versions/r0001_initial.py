"""Initial schema: plans, jobs, job events, checkpoints, model versions.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _job_fk() -> sa.ForeignKey:
    return sa.ForeignKey("jobs.id", ondelete="CASCADE")


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "plans",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("plan_json", sa.Text, nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("plan_id", sa.String(64), nullable=False, index=True),
        sa.Column("model_index", sa.Integer, nullable=False),
        sa.Column("recipe", sa.String(64), nullable=False),
        sa.Column("base_model", sa.String(200), nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("device", sa.String(32), nullable=False, index=True),
        sa.Column("state", sa.String(32), nullable=False, index=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("job_dir", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=True),
        sa.Column("pid_started_at", sa.Float, nullable=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("max_steps", sa.Integer, nullable=True),
        sa.Column("loss", sa.Float, nullable=True),
        sa.Column("budget_usd", sa.Float, nullable=True),
        sa.Column("hourly_rate_usd", sa.Float, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("started_at", _TS, nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
    )
    op.create_table(
        "job_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(64), _job_fk(), nullable=False, index=True),
        sa.Column("ts", _TS, nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
    )
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(64), _job_fk(), nullable=False, index=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("job_id", "step"),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("artefact_path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("base_model", sa.String(200), nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("recipe", sa.String(64), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("job_id", sa.String(64), nullable=False, index=True),
        sa.Column("dataset_hash", sa.String(128), nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("name", "version"),
    )


def downgrade() -> None:
    """Drop every table."""
    for table in ("model_versions", "checkpoints", "job_events", "jobs", "plans"):
        op.drop_table(table)
