"""Alembic environment: migrates the connection omnitune hands over, or the settings' database."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from omnitune.settings import get_settings
from omnitune.store.db import load_all_tables

config = context.config
target_metadata = load_all_tables()


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Online migrations on the shared connection (programmatic use) or a fresh engine (CLI use)."""
    if context.is_offline_mode():
        context.configure(url=get_settings().database_url, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or get_settings().database_url)
    with engine.begin() as conn:
        _run(conn)


run_migrations()
