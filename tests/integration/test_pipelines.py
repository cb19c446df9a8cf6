"""Pipelines on the tiny linear test recipe: dependency order, record, retries, blocking, resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnitune.pipelines import PipelineError, StageState, create_pipeline, resume_pipeline, run_pipeline
from omnitune.pipelines import record as records
from omnitune.plan.schema import ModelChoice, Pipeline, PipelineStage, TrainingPlan
from omnitune.recipes.registry import RECIPES
from omnitune.services import jobs
from omnitune.types import JobState, Method, PipelineType
from recipes_for_tests import RECIPE_TARGET, worker_pythonpath, write_linear_dataset

pytestmark = pytest.mark.slow


@pytest.fixture
def linear(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Register the test recipe here and in workers; returns a folder usable as a base model."""
    monkeypatch.setitem(RECIPES, "test_linear", RECIPE_TARGET)
    monkeypatch.setenv("PYTHONPATH", worker_pythonpath())
    base = tmp_path / "base"
    base.mkdir()
    return base


def two_stage_plan(base: Path) -> TrainingPlan:
    """first -> second, both on the linear recipe."""
    models = [
        ModelChoice(role=role, base_model=str(base), method=Method.FULL_FINETUNE, recipe="test_linear")
        for role in ("first_model", "second_model")
    ]
    stages = [
        PipelineStage(name="first", role="first_model"),
        PipelineStage(name="second", role="second_model", depends_on=["first"]),
    ]
    return TrainingPlan(
        request="two lines", models=models, pipeline=Pipeline(type=PipelineType.SEQUENTIAL, stages=stages)
    )


def started_at(job_id: str) -> object:
    return jobs.get(job_id).started_at


def test_stages_run_in_dependency_order_and_resume_skips_them(linear: Path, tmp_path: Path) -> None:
    data = {
        "first": write_linear_dataset(tmp_path / "a"),
        "second_model": write_linear_dataset(tmp_path / "b"),
    }
    done = run_pipeline(two_stage_plan(linear), data, max_steps=4, device="cpu", poll_s=0.1)
    assert done.state == "succeeded", done
    first, second = done.stage("first"), done.stage("second")
    assert first.state is second.state is StageState.SUCCEEDED
    assert first.job_id and second.job_id and first.model_version and second.model_version
    assert jobs.get(first.job_id).finished_at <= started_at(second.job_id)  # type: ignore[operator]
    on_disk = records.load(done.id)
    assert [s.job_id for s in on_disk.stages] == [first.job_id, second.job_id]
    again = resume_pipeline(done.id, poll_s=0.1)
    assert again.state == "succeeded"
    assert [s.job_id for s in again.stages] == [first.job_id, second.job_id]  # nothing re-ran
    assert len(jobs.list_jobs()) == 2


def test_failing_stage_retries_then_blocks_dependants_and_resume_finishes(
    linear: Path, tmp_path: Path
) -> None:
    broken = write_linear_dataset(tmp_path / "a")
    good = (broken / "train.jsonl").read_text()
    (broken / "train.jsonl").write_text("not json\n")
    data = {"first": broken, "second": write_linear_dataset(tmp_path / "b")}
    failed = run_pipeline(two_stage_plan(linear), data, max_steps=4, device="cpu", max_retries=1, poll_s=0.1)
    first, second = failed.stage("first"), failed.stage("second")
    assert failed.state == "failed" and first.state is StageState.FAILED and first.attempts == 2
    assert second.state is StageState.BLOCKED and second.job_id is None
    assert jobs.get(first.job_id or "").state is JobState.FAILED
    (broken / "train.jsonl").write_text(good)  # the user fixes the data
    resumed = resume_pipeline(failed.id, poll_s=0.1)
    assert resumed.state == "succeeded", resumed
    assert resumed.stage("first").job_id == first.job_id  # the same job, resumed


def test_missing_data_and_unknown_stage_are_refused(linear: Path, tmp_path: Path) -> None:
    plan = two_stage_plan(linear)
    with pytest.raises(PipelineError, match="--data second=PATH"):
        create_pipeline(plan, {"first": write_linear_dataset(tmp_path / "a")})
    with pytest.raises(PipelineError, match="not a stage or role"):
        create_pipeline(plan, {"third": tmp_path})
    plan.pipeline.stages[0].depends_on = ["second"]
    with pytest.raises(PipelineError, match="cycle"):
        create_pipeline(plan, {})


def test_detached_run_returns_an_id_at_once_and_the_driver_finishes(linear: Path, tmp_path: Path) -> None:
    import time

    data = {"first": write_linear_dataset(tmp_path / "a"), "second": write_linear_dataset(tmp_path / "b")}
    started = time.monotonic()
    record = run_pipeline(two_stage_plan(linear), data, max_steps=2, device="cpu", detach=True)
    assert time.monotonic() - started < 5 and record.driver_pid is not None
    deadline = time.monotonic() + 120
    while records.load(record.id).state not in ("succeeded", "failed", "stopped"):
        assert time.monotonic() < deadline, records.load(record.id)
        time.sleep(0.5)
    assert records.load(record.id).state == "succeeded"
