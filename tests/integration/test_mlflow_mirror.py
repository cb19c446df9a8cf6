"""MLflow mirroring on real worker jobs of a tiny real recipe, into a local SQLite MLflow store: the run
(params, per-step metric history, tags), the registered-model version with lineage, `models show`, and a
broken store that leaves only a warning event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from omnitune.recipes.registry import RECIPES
from omnitune.runtime.events import iter_events
from omnitune.runtime.jobdir import JobDir
from omnitune.services import jobs, models
from omnitune.settings import get_settings
from omnitune.store import registry
from omnitune.types import JobState
from recipes_for_tests import RECIPE_TARGET, linear_plan, worker_pythonpath, write_linear_dataset

pytest.importorskip("mlflow", reason="MLflow is the `tracking` extra: pip install 'omnitune[tracking]'")
pytestmark = pytest.mark.slow

HYPERPARAMETERS = {"learning_rate": 0.02, "batch_size": 8, "lora": {"r": 4}, "report_to": ["mlflow"]}


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test recipe registered here and in worker subprocesses, and a prepared dataset."""
    monkeypatch.setitem(RECIPES, "test_linear", RECIPE_TARGET)
    monkeypatch.setenv("PYTHONPATH", worker_pythonpath())
    return write_linear_dataset(tmp_path / "data")


def run_job(data: Path, hyperparameters: dict[str, Any], steps: int = 6) -> jobs.JobRecord:
    """Submit the linear recipe with these hyperparameters and run it to the end in a real worker."""
    plan = linear_plan()
    plan.training.hyperparameters = dict(hyperparameters)
    job = jobs.submit(plan, data_dir=data, max_steps=steps, model_name="line")
    done = jobs.run_foreground(job.id)
    assert done.state is JobState.SUCCEEDED, done.error
    return done


def events_of(job: jobs.JobRecord, event: str) -> list[dict[str, Any]]:
    return [e for e in iter_events(JobDir(Path(job.job_dir)).events_file) if e["event"] == event]


def test_plan_report_to_mlflow_mirrors_run_and_version_to_a_local_store(data: Path) -> None:
    from mlflow.tracking import MlflowClient

    from omnitune.cli.main import app

    job = run_job(data, HYPERPARAMETERS)
    version = models.version_of_job(job.id)
    assert version is not None
    uri = f"sqlite:///{get_settings().home / 'mlflow.db'}"  # the default store when only the plan asks
    tags = registry.tags_of(version.id)
    assert tags["mlflow.tracking_uri"] == uri and tags["mlflow.model_uri"] == "models:/line/1"
    [mirrored] = events_of(job, "mirrored")
    assert mirrored["mlflow.run_id"] == tags["mlflow.run_id"] and not events_of(job, "warning")

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    run = client.get_run(tags["mlflow.run_id"])
    assert run.info.status == "FINISHED" and run.info.run_name == f"job {job.id}"
    assert run.data.params == {"learning_rate": "0.02", "batch_size": "8", "lora.r": "4",
                               "report_to": '["mlflow"]'}  # fmt: skip
    assert run.data.tags["omnitune.job_id"] == job.id and run.data.tags["omnitune.plan_id"] == job.plan_id
    steps = {e["step"]: e["loss"] for e in events_of(job, "metrics")}
    history = client.get_metric_history(run.info.run_id, "loss")
    assert sorted((m.step, m.value) for m in history) == sorted(steps.items()) and len(steps) == 6
    assert client.get_metric_history(run.info.run_id, "final_loss")[0].value == version.metrics["final_loss"]

    mirrored_version = client.get_model_version("line", "1")
    assert mirrored_version.source == version.artefact_path and mirrored_version.run_id == run.info.run_id
    lineage = mirrored_version.tags
    assert lineage["omnitune.version_id"] == version.id and lineage["omnitune.sha256"] == version.sha256
    assert lineage["omnitune.job_id"] == job.id and lineage["omnitune.dataset_hash"] == "linear-test-data"
    assert lineage["omnitune.recipe"] == "test_linear" and lineage["omnitune.base_model"] == "tiny-linear"

    shown = CliRunner().invoke(app, ["models", "show", version.ref])
    assert shown.exit_code == 0 and "mirrored" in shown.output and "models:/line/1" in shown.output
    as_json = CliRunner().invoke(app, ["models", "show", version.ref, "--json"])
    assert json.loads(as_json.output)["tags"]["mlflow.model_uri"] == "models:/line/1"


def test_tracking_uri_setting_mirrors_each_version_and_a_broken_store_is_only_a_warning(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'tracking.db'}"
    monkeypatch.setenv("OMNITUNE_MLFLOW_TRACKING_URI", uri)
    get_settings.cache_clear()
    first, second = run_job(data, {"learning_rate": 0.02}), run_job(data, {"learning_rate": 0.01})
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    versions = sorted(client.search_model_versions("name='line'"), key=lambda v: int(v.version))
    assert [v.tags["omnitune.job_id"] for v in versions] == [first.id, second.id]
    assert [client.get_run(v.run_id).data.params["learning_rate"] for v in versions] == ["0.02", "0.01"]

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the store's directory should be", encoding="utf-8")
    monkeypatch.setenv("OMNITUNE_MLFLOW_TRACKING_URI", f"sqlite:///{blocker / 'mlflow.db'}")
    get_settings.cache_clear()
    broken = run_job(data, {"learning_rate": 0.02})
    version = models.version_of_job(broken.id)
    assert version is not None and version.ref == "line:v3"
    [warning] = events_of(broken, "warning")
    assert warning["warning"].startswith("mirroring line:v3 to MLflow at sqlite:///")
    assert not events_of(broken, "mirrored") and "mlflow.run_id" not in registry.tags_of(version.id)
