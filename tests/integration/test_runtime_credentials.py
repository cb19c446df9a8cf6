"""Vault credentials reach the owner's worker process as environment variables, and nothing on disk."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from omnitune.recipes.registry import RECIPES
from omnitune.runtime import launch
from omnitune.runtime.supervisor import Supervisor
from omnitune.services import jobs, users, vault
from omnitune.services.vault import Credential
from omnitune.types import JobState
from recipes_for_tests import RECIPE_TARGET, linear_plan, worker_pythonpath, write_linear_dataset

pytestmark = pytest.mark.slow

SECRET = "hf_" + "worker-only-secret-" * 2


def _wait_settled(job_id: str, supervisor: Supervisor, timeout: float = 90.0) -> jobs.JobRecord:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        supervisor.tick()
        job = jobs.get(job_id)
        if job.state in jobs.SETTLED_STATES:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not settle in {timeout}s")


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test recipe here and in workers, credentials handed over, and a prepared dataset."""
    monkeypatch.setitem(RECIPES, "test_linear", RECIPE_TARGET)
    monkeypatch.setenv("PYTHONPATH", worker_pythonpath())
    monkeypatch.setattr(launch, "_environment_providers", [])
    jobs.hand_credentials_to_workers()
    return write_linear_dataset(tmp_path / "data")


def test_the_owners_credentials_reach_only_the_worker_and_never_the_disk(
    data: Path, tmp_path: Path, omnitune_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = tmp_path / "probe.jsonl"
    monkeypatch.setenv("OMNITUNE_TEST_CREDENTIAL_PROBE", str(probe))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    alice, bob = users.add_user("alice").id, users.add_user("bob").id
    vault.store(alice, Credential.HF_TOKEN, SECRET)

    owned = jobs.submit(linear_plan(), data_dir=data, max_steps=2, register=False, owner_id=alice)
    others = jobs.submit(linear_plan(), data_dir=data, max_steps=2, register=False, owner_id=bob)
    supervisor = Supervisor()
    for job in (owned, others):
        assert _wait_settled(job.id, supervisor).state is JobState.SUCCEEDED

    seen = {Path(r["cwd"]).name: r["seen"] for r in map(json.loads, probe.read_text().splitlines())}
    assert seen[owned.id] == {"HF_TOKEN": hashlib.sha256(SECRET.encode()).hexdigest()}
    assert seen[others.id] == {}
    assert "HF_TOKEN" not in os.environ  # the server's own environment is untouched
    leaked = [p for p in omnitune_home.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert leaked == []
    assert (Path(owned.job_dir) / "events.jsonl").is_file() and (Path(owned.job_dir) / "worker.log").is_file()


def test_a_broken_vault_fails_the_job_with_a_reason_not_the_supervisor(data: Path) -> None:
    alice = users.add_user("alice").id
    vault.store(alice, Credential.OPENAI_API_KEY, SECRET)
    vault.key_file().write_bytes(b"bm90LWEta2V5LW5vdC1hLWtleS1ub3QtYS1rZXktMTI=")  # another valid key
    job = jobs.submit(linear_plan(), data_dir=data, owner_id=alice)
    report = Supervisor().tick()
    failed = jobs.get(job.id)
    assert report.started == [] and failed.state is JobState.FAILED
    assert "worker's environment" in failed.reason and "openai_api_key" in failed.reason
    assert SECRET not in failed.reason
