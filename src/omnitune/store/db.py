"""Engines and sessions: SQLite in WAL mode by default, any SQLAlchemy URL (e.g. PostgreSQL) otherwise.

The schema is brought to the newest Alembic revision the first time a process opens a URL.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from omnitune.settings import get_settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_engines: dict[str, sa.Engine] = {}
_lock = threading.Lock()


def get_engine(url: str | None = None) -> sa.Engine:
    """The process's engine for ``url`` (default: the settings' database), migrated to head."""
    url = url or get_settings().database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            migrate(engine)
            _engines[url] = engine
    return engine


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error."""
    with Session(get_engine(url), expire_on_commit=False) as session, session.begin():
        yield session


def _create_engine(url: str) -> sa.Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30})
    sa.event.listen(engine, "connect", _sqlite_on_connect)
    # Take the write lock when a transaction starts, so two processes never deadlock
    # upgrading read locks (pysqlite's deferred BEGIN would fail at once instead of waiting).
    sa.event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see above)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def load_all_tables() -> sa.MetaData:
    """Import every table module of the store (`tables.py`, `*_tables.py`); return their shared metadata."""
    import importlib
    import pkgutil

    import omnitune.store as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name == "tables" or info.name.endswith("_tables"):
            importlib.import_module(f"omnitune.store.{info.name}")
    from omnitune.store.tables import Base

    return Base.metadata


def migrate(engine: sa.Engine) -> None:
    """Upgrade the schema to the newest revision (no-op when already there)."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    with _migration_lock(engine), engine.begin() as conn:
        if MigrationContext.configure(conn).get_current_revision() == head:
            return
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


@contextmanager
def _migration_lock(engine: sa.Engine) -> Iterator[None]:
    """Serialise first-use migrations of processes sharing a home directory."""
    lock_path = get_settings().home / ".migrate.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
