"""The store on real SQLite: migrations, WAL, atomic claims, guarded transitions, version lookup."""

from __future__ import annotations

import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from omnitune.store import get_engine, jobs, model_versions
from omnitune.store.db import MIGRATIONS_DIR, load_all_tables
from omnitune.store.tables import utcnow
from omnitune.types import JobState


def _job(job_id: str, state: JobState = JobState.QUEUED, device: str = "cpu") -> None:
    jobs.insert_job(
        id=job_id,
        plan_id="p1",
        recipe="test_linear",
        state=str(state),
        job_dir=f"/tmp/{job_id}",
        device=device,
    )


def test_migrations_build_exactly_the_models_schema_in_wal_mode() -> None:
    engine = get_engine()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), load_all_tables()) == []
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        head = ScriptDirectory.from_config(config).get_current_head()
        assert MigrationContext.configure(conn).get_current_revision() == head


def test_only_one_of_several_processes_claims_a_queued_job() -> None:
    _job("contested")
    code = "from omnitune.store import jobs; print(jobs.claim('contested') is not None)"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(3)
    ]
    outcomes = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert sorted(outcomes) == ["False", "False", "True"]
    assert jobs.get_job("contested").state is JobState.RUNNING


def test_claim_next_respects_the_device_limit_and_order() -> None:
    for name in ("a1", "a2", "a3"):
        _job(name)
    _job("g1", device="cuda:0")
    assert jobs.claim_next("cpu", limit=2).id == "a1"  # type: ignore[union-attr]
    assert jobs.claim_next("cpu", limit=2).id == "a2"  # type: ignore[union-attr]
    assert jobs.claim_next("cpu", limit=2) is None
    assert jobs.claim_next("cuda:0", limit=1).id == "g1"  # type: ignore[union-attr]
    assert jobs.count_active("cpu") == 2


def test_transitions_are_guarded_by_state_and_pid() -> None:
    _job("t1", state=JobState.RUNNING)
    jobs.update_job("t1", pid=111)
    assert not jobs.transition("t1", JobState.QUEUED, from_states=[JobState.RUNNING], expect_pid=222)
    assert jobs.transition("t1", JobState.QUEUED, from_states=[JobState.RUNNING], expect_pid=111)
    assert not jobs.transition("t1", JobState.SUCCEEDED, from_states=[JobState.RUNNING])
    assert jobs.transition("t1", JobState.CANCELLED, from_states=[JobState.QUEUED], reason="by test")
    done = jobs.get_job("t1")
    assert done.state is JobState.CANCELLED and done.reason == "by test" and done.finished_at is not None


def test_job_ids_resolve_by_unique_prefix_with_clear_errors() -> None:
    _job("abc111")
    _job("abc222")
    assert jobs.get_job("abc1").id == "abc111"
    with pytest.raises(jobs.JobNotFoundError, match="'abc' is ambiguous"):
        jobs.get_job("abc")
    with pytest.raises(jobs.JobNotFoundError, match="'zzz' matches no job"):
        jobs.get_job("zzz")


def test_model_versions_number_per_name_and_resolve_by_reference() -> None:
    for n in (1, 2):
        assert model_versions.next_version("tiny") == n
        model_versions.insert_version(
            id=f"id{n}",
            name="tiny",
            version=n,
            artefact_path="/x",
            sha256="0" * 64,
            metrics={"final_loss": 1.0 / n},
            created_at=utcnow(),
        )
    assert model_versions.get_version("tiny").version == 2
    assert model_versions.get_version("tiny:v1").id == "id1"
    assert model_versions.get_version("id2").ref == "tiny:v2"
    with pytest.raises(model_versions.ModelVersionNotFoundError, match="no model version 'tiny:v9'"):
        model_versions.get_version("tiny:v9")
