"""Model versions: register a finished job's artefact (copied, checksummed, with lineage), list, show."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from pathlib import Path

from omnitune.data.manifest import DatasetManifest
from omnitune.registry.mlflow_mirror import mirror_registered
from omnitune.runtime.events import json_safe
from omnitune.runtime.index import MODEL_VERSION_FILE
from omnitune.runtime.jobdir import JobDir, write_atomic
from omnitune.settings import get_settings
from omnitune.store import jobs, model_versions
from omnitune.store.model_versions import ModelVersionNotFoundError
from omnitune.store.records import ModelVersionRecord
from omnitune.store.tables import utcnow
from omnitune.types import JobState

__all__ = [
    "ModelVersionNotFoundError",
    "ModelVersionRecord",
    "get_version",
    "list_versions",
    "register",
    "version_of_job",
]

ARTEFACT_DIR = "artefact"


def register(job_id: str, name: str | None = None) -> ModelVersionRecord:
    """Register the artefact of a finished job as the next version of ``name`` (once per job)."""
    job = jobs.get_job(job_id)
    existing = version_of_job(job.id)
    if existing is not None:
        return existing
    job_dir = JobDir(Path(job.job_dir))
    if job.state in (JobState.FAILED, JobState.CANCELLED) or not _has_files(job_dir.output_dir):
        raise ValueError(f"job {job.id} ({job.state}) has no trained artefact in {job_dir.output_dir}")
    name = _slug(name or f"{job.base_model}-{job.method}")
    version = model_versions.next_version(name)
    home = get_settings().models_dir / name / f"v{version}"
    artefact = home / ARTEFACT_DIR
    shutil.copytree(job_dir.output_dir, artefact, copy_function=_link_or_copy)
    fields = {
        "id": uuid.uuid4().hex[:12],
        "name": name,
        "version": version,
        "artefact_path": str(artefact),
        "sha256": artefact_sha256(artefact),
        "base_model": job.base_model,
        "method": job.method,
        "recipe": job.recipe,
        "plan_id": job.plan_id,
        "job_id": job.id,
        "dataset_hash": _dataset_hash(job_dir),
        "metrics": json_safe(job.metrics),
        "created_at": utcnow(),
    }
    record = model_versions.insert_version(**fields)
    write_atomic(home / MODEL_VERSION_FILE, record.model_dump_json(indent=2))
    mirror_registered(record, job_dir)  # MLflow, when configured; never raises
    return record


def list_versions(name: str | None = None) -> list[ModelVersionRecord]:
    """Registered versions, newest first (optionally of one name)."""
    return model_versions.list_versions(name)


def version_of_job(job_id: str) -> ModelVersionRecord | None:
    """The model version registered from a job (its newest), or None."""
    versions = model_versions.versions_of_job(jobs.get_job(job_id).id)
    return max(versions, key=lambda v: v.version) if versions else None


def get_version(ref: str) -> ModelVersionRecord:
    """A version by id, ``NAME:vN`` or ``NAME`` (newest)."""
    return model_versions.get_version(ref)


def artefact_sha256(root: Path) -> str:
    """One sha256 over every file's relative path and content, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def _dataset_hash(job_dir: JobDir) -> str:
    try:
        return DatasetManifest.read(Path(job_dir.read_spec().data_dir)).content_hash
    except (FileNotFoundError, ValueError):
        return ""


def _has_files(directory: Path) -> bool:
    return directory.is_dir() and any(p.is_file() for p in directory.rglob("*"))


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    if not slug:
        raise ValueError(f"model name {text!r} has no usable characters (letters, digits, . _ -)")
    return slug


def _link_or_copy(src: str, dst: str) -> None:
    """Hard-link when on the same filesystem (free), copy otherwise; artefacts are never modified."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
