"""Multi-model pipelines: stages in dependency order, one job each, retries, resume, inference wiring."""

from omnitune.pipelines.record import PipelineRecord, StageRecord, StageState
from omnitune.pipelines.runner import create_pipeline, drive, resume_pipeline, run_pipeline
from omnitune.pipelines.stages import PipelineError

__all__ = [
    "PipelineError",
    "PipelineRecord",
    "StageRecord",
    "StageState",
    "create_pipeline",
    "drive",
    "resume_pipeline",
    "run_pipeline",
]
