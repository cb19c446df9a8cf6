"""Submitting one stage's job: its model checked, its data prepared, the job queued."""

from __future__ import annotations

from pathlib import Path

from omnitune.data.manifest import DatasetManifest
from omnitune.pipelines import record as records
from omnitune.pipelines.record import PipelineRecord, StageRecord
from omnitune.plan.schema import TrainingPlan


def pipeline_plan(record: PipelineRecord) -> TrainingPlan:
    """The plan the pipeline runs (base-model overrides applied), as stored beside its record."""
    return TrainingPlan.from_file(str(records.pipeline_dir(record.id) / "plan.json"))


def stage_data(record: PipelineRecord, stage: StageRecord, plan: TrainingPlan) -> Path:
    """A prepared dataset for the stage: the folder itself when it already is one, else prepared once."""
    from omnitune.data import family_for_method, prepare

    source = Path(stage.data or "")
    if (source / "manifest.json").is_file():
        return source
    out_dir = records.pipeline_dir(record.id) / "data" / stage.name
    if (out_dir / "manifest.json").is_file():
        DatasetManifest.read(out_dir)
        return out_dir
    model = plan.models[stage.model_index]
    prepare(
        source,
        out_dir,
        family=family_for_method(model.method),
        modality=plan.capabilities.modality,
        fix=("drop",),
    )
    return out_dir


def submit_stage(record: PipelineRecord, stage: StageRecord) -> str:
    """Queue the stage's job (registered as `<pipeline>-<stage>`, owned as the pipeline); returns its id."""
    from omnitune.services import jobs, training
    from omnitune.store import ownership

    plan = pipeline_plan(record)
    training.check_runnable(plan, stage.model_index)
    data_dir = stage_data(record, stage, plan)
    job = jobs.submit(
        plan,
        data_dir=data_dir,
        model_index=stage.model_index,
        max_steps=record.max_steps,
        budget_usd=record.budget_usd,
        device=record.device or training.local_device(),
        model_name=f"pipeline-{record.id}-{stage.name}",
        owner_id=ownership.owner_of("pipeline", record.id),
    )
    return job.id
