"""Pipeline use cases for the studio: start one of your plans as a pipeline, list yours, and describe one
as a graph (stages with their dependency depth, edges, each stage's job progress).

The pipeline's truth is its `pipeline.json` (written by the driver process); a pipeline started here is
owned by the user (`ownership` kind ``pipeline``), and so are its stage jobs (see `pipelines/submit.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omnitune.pipelines import record as records
from omnitune.pipelines.record import PipelineRecord, StageRecord
from omnitune.services import plans, users
from omnitune.services.paths import PathNotAllowedError, resolve_data_path
from omnitune.services.plans import PlanFieldError
from omnitune.services.users import UserRecord
from omnitune.store import ownership

KIND = "pipeline"


def start(
    user: UserRecord,
    plan_id: str,
    data: dict[str, str],
    *,
    base_models: dict[str, str] | None = None,
    max_steps: int | None = None,
    budget_usd: float | None = None,
    max_retries: int = 1,
) -> PipelineRecord:
    """Create a pipeline from one of your plans and start its driver; returns at once."""
    from omnitune.pipelines import PipelineError, create_pipeline
    from omnitune.pipelines.runner import spawn_driver
    from omnitune.services.training import local_device

    plan = plans.get_plan(user, plan_id)
    paths: dict[str, str | Path] = {key: _data_path(key, raw) for key, raw in data.items()}
    try:
        record = create_pipeline(
            plan,
            paths,
            max_steps=max_steps,
            budget_usd=budget_usd,
            base_models=base_models,
            max_retries=max_retries,
            device=local_device(),
        )
    except PipelineError as exc:
        raise PlanFieldError("base_models" if "--base-model" in str(exc) else "data", str(exc)) from None
    ownership.set_owner(KIND, record.id, user.id)
    return spawn_driver(record.id)


def _data_path(key: str, raw: str) -> Path:
    try:
        return resolve_data_path(raw)
    except PathNotAllowedError as exc:
        raise PlanFieldError(f"data.{key}", str(exc)) from None


def get(user: UserRecord, pipeline_id: str) -> PipelineRecord:
    """One of your pipelines by its exact id (KeyError when missing or not yours)."""
    if pipeline_id not in records.list_ids():
        raise KeyError(f"no pipeline {pipeline_id!r}; GET /api/training/pipelines lists yours")
    users.check_owner(user, KIND, pipeline_id)
    return records.load(pipeline_id)


def list_visible(user: UserRecord) -> list[PipelineRecord]:
    """Your pipelines, newest first (admins see all, including those started from the CLI)."""
    visible = users.visible_ids(user, KIND)
    return [r for r in records.list_all() if visible is None or r.id in visible]


def summary(record: PipelineRecord) -> dict[str, Any]:
    """A pipeline's headline: id, request, state and how many stages are done."""
    done = sum(1 for s in record.stages if s.state in records.DONE)
    return {"id": record.id, "request": record.request, "type": record.type, "state": record.state,
            "reason": record.reason, "created_at": record.created_at, "updated_at": record.updated_at,
            "stages_done": done, "stages": len(record.stages)}  # fmt: skip


def describe(record: PipelineRecord) -> dict[str, Any]:
    """The pipeline as a graph: stages (with depth and their job's progress) and dependency edges."""
    depth: dict[str, int] = {}
    for stage in record.stages:  # stored in dependency order, so every dependency has its depth already
        depth[stage.name] = 1 + max((depth[d] for d in stage.depends_on), default=-1)
    stages = [{**_stage(s), "depth": depth[s.name]} for s in record.stages]
    edges = [{"from": d, "to": s.name} for s in record.stages for d in s.depends_on]
    return {**summary(record), "max_steps": record.max_steps, "budget_usd": record.budget_usd,
            "max_retries": record.max_retries, "stages": stages, "edges": edges}  # fmt: skip


def _stage(stage: StageRecord) -> dict[str, Any]:
    from omnitune.services import jobs

    fields = stage.model_dump(exclude={"data", "artefact_path", "model_index"})
    job = None
    if stage.job_id:
        try:
            record = jobs.get(stage.job_id)
            job = {"state": record.state.value, "step": record.step, "max_steps": record.max_steps,
                   "loss": record.loss}  # fmt: skip
        except KeyError:
            job = None  # the job was deleted; the stage record still says what happened
    return {**fields, "job": job}
