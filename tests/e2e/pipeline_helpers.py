"""A small real pipeline for the studio tests: three stages of the tiny linear test recipe, `left` and
`right` first, then `joined` depending on both; the plan is stored and owned by one studio user."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent.parent))

from studio_helpers import Studio

from omnitune.plan.schema import ModelChoice, Pipeline, PipelineStage, TrainingPlan
from omnitune.types import Method, PipelineType
from recipes_for_tests import worker_pythonpath, write_linear_dataset

STAGES = {"left": [], "right": [], "joined": ["left", "right"]}
SETTLED = ("succeeded", "failed", "stopped")


def studio_env() -> dict[str, str]:
    """Environment for a studio whose drivers and workers know the `test_linear` recipe."""
    return {"PYTHONPATH": worker_pythonpath(), "OMNITUNE_MAX_CPU_JOBS": "2"}


def linear_pipeline_plan(studio: Studio, owner_id: str) -> tuple[str, dict[str, str]]:
    """Store the three-stage plan for ``owner_id`` in the studio; returns (plan id, data per stage)."""
    from media_versions import using_home

    from omnitune.store import ownership, plans

    base = studio.data_dir / "linear-base"
    base.mkdir(exist_ok=True)
    models = [ModelChoice(role=f"{name}_model", base_model=str(base), method=Method.FULL_FINETUNE,
                          recipe="test_linear") for name in STAGES]  # fmt: skip
    stages = [PipelineStage(name=n, role=f"{n}_model", depends_on=d) for n, d in STAGES.items()]
    plan = TrainingPlan(request="two lines, then one that joins them", models=models,
                        pipeline=Pipeline(type=PipelineType.SEQUENTIAL, stages=stages))  # fmt: skip
    with using_home(studio.home):
        plans.save_plan(plan)
        ownership.set_owner("plan", plan.id, owner_id)
    data = {name: str(write_linear_dataset(studio.data_dir / f"linear-{name}", n=16)) for name in STAGES}
    return plan.id, data


def wait_settled(client: httpx.Client, pipeline_id: str, timeout: float = 150) -> dict[str, Any]:
    """Poll the pipeline until its driver settles it; returns the last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = dict(client.get(f"/api/training/pipelines/{pipeline_id}").json())
        if body["state"] in SETTLED:
            return body
        time.sleep(0.5)
    raise AssertionError(f"pipeline {pipeline_id} did not settle: {body}")
