"""`omnitune jobs` and `omnitune models` through the real CLI on a real store (no worker needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from omnitune.cli.main import app
from omnitune.recipes.registry import RECIPES
from omnitune.services import jobs
from recipes_for_tests import RECIPE_TARGET, linear_plan, write_linear_dataset

runner = CliRunner()


@pytest.fixture
def queued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> jobs.JobRecord:
    monkeypatch.setitem(RECIPES, "test_linear", RECIPE_TARGET)
    return jobs.submit(linear_plan(budget_usd=2.5), data_dir=write_linear_dataset(tmp_path / "data"))


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_jobs_commands_drive_the_job_lifecycle(queued: jobs.JobRecord) -> None:
    code, out = invoke("jobs", "list", "--json")
    assert code == 0 and json.loads(out)[0]["id"] == queued.id
    code, out = invoke("jobs", "show", queued.id[:6])
    assert code == 0 and queued.id in out and "queued" in out
    code, out = invoke("jobs", "pause", queued.id)
    assert code == 0 and "paused" in out
    code, out = invoke("jobs", "resume", queued.id, "--queue-only", "--budget", "5")
    assert code == 0 and "queued" in out
    assert jobs.get(queued.id).budget_usd == 5.0
    code, out = invoke("jobs", "cancel", queued.id)
    assert code == 0 and "cancelled" in out
    code, out = invoke("jobs", "logs", queued.id)
    lines = out.splitlines()
    assert code == 0 and "reason=submitted" in lines[0]
    assert [w for line in lines for w in line.split() if w.startswith("state=")] == [
        "state=queued",
        "state=paused",
        "state=queued",
        "state=cancelled",
    ]
    assert "budget_raised" in out
    code, out = invoke("jobs", "reindex")
    assert code == 0 and "indexed 1 job(s) and 0 model version(s)" in out
    assert jobs.get(queued.id).state.value == "cancelled"


def test_bad_ids_and_wrong_states_exit_1_with_a_clear_message(queued: jobs.JobRecord) -> None:
    code, out = invoke("jobs", "show", "nope")
    assert code == 1 and "job id 'nope' matches no job" in out
    code, out = invoke("jobs", "resume", queued.id)
    assert code == 1 and "only paused or budget_frozen jobs can be resumed" in out
    code, out = invoke("models", "show", "nothing:v3")
    assert code == 1 and "no model version 'nothing:v3'" in out
    code, out = invoke("models", "list")
    assert code == 0 and "no models registered yet" in out
