"""Store an evaluation report with its model version: JSON + readable summary on disk, a row in the store."""

from __future__ import annotations

from pathlib import Path

from omnitune.evaluate.report import EvalReport
from omnitune.registry.versions import audit
from omnitune.settings import get_settings
from omnitune.store import registry
from omnitune.store.records import ModelVersionRecord

EVALUATIONS_DIR = "evaluations"


def report_directory(version: ModelVersionRecord | None) -> Path:
    """Where a version's reports (and their samples) go: beside it, else ``<home>/evaluations``."""
    if version is not None:
        return Path(version.artefact_path).parent / EVALUATIONS_DIR
    return get_settings().home / EVALUATIONS_DIR


def store_report(report: EvalReport, version: ModelVersionRecord | None) -> Path:
    """Write the report beside the version (or under ``<home>/evaluations``) and index it."""
    path = report.write(report_directory(version))
    metrics = {k: v for k, v in report.metrics.items()}
    registry.insert_evaluation(
        id=report.id, version_id=version.id if version else None, model_ref=report.model,
        against_ref=report.against or "", passed=report.passed, metrics=metrics, report_path=str(path),
    )  # fmt: skip
    if version is not None:
        audit("evaluate", version.ref, report=report.id, passed=report.passed)
    return path
