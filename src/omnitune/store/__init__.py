"""Persistence: the only package that speaks SQL (SQLAlchemy 2; SQLite WAL by default, PostgreSQL by URL)."""

from omnitune.store.db import get_engine, migrate, session_scope
from omnitune.store.jobs import JobNotFoundError
from omnitune.store.model_versions import ModelVersionNotFoundError
from omnitune.store.records import CheckpointRecord, JobEventRecord, JobRecord, ModelVersionRecord

__all__ = [
    "CheckpointRecord",
    "JobEventRecord",
    "JobNotFoundError",
    "JobRecord",
    "ModelVersionNotFoundError",
    "ModelVersionRecord",
    "get_engine",
    "migrate",
    "session_scope",
]
