"""The store on a real PostgreSQL server; opt-in: set OMNITUNE_TEST_POSTGRES_URL to an admin URL.

e.g. OMNITUNE_TEST_POSTGRES_URL='postgresql+psycopg://postgres@/postgres?host=/tmp&port=55439'
Each test gets a fresh database, dropped afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url

from omnitune.settings import get_settings
from omnitune.store import get_engine, jobs
from omnitune.store.db import load_all_tables
from omnitune.types import JobState

ADMIN_URL = os.environ.get("OMNITUNE_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not ADMIN_URL, reason="set OMNITUNE_TEST_POSTGRES_URL to run on PostgreSQL")


@pytest.fixture
def postgres(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database on the server, selected through OMNITUNE_DB_URL."""
    admin = sa.create_engine(str(ADMIN_URL), isolation_level="AUTOCOMMIT")
    name = f"omnitune_test_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = make_url(str(ADMIN_URL)).set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("OMNITUNE_DB_URL", url)
    get_settings.cache_clear()
    yield url
    get_engine(url).dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    admin.dispose()


def test_migrations_match_the_models_on_postgres(postgres: str) -> None:
    with get_engine(postgres).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), load_all_tables()) == []


def test_only_one_process_claims_a_job_on_postgres(postgres: str) -> None:
    jobs.insert_job(id="contested", plan_id="p", recipe="r", state="queued", job_dir="/tmp/x")
    code = "from omnitune.store import jobs; print(jobs.claim('contested') is not None)"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(3)
    ]
    assert sorted(p.communicate(timeout=120)[0].strip() for p in procs) == ["False", "False", "True"]
    assert jobs.get_job("contested").state is JobState.RUNNING
