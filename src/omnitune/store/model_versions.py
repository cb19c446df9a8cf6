"""Registered model versions: the registry's core table."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from omnitune.store.db import session_scope
from omnitune.store.records import ModelVersionRecord
from omnitune.store.tables import ModelVersionRow

_REF = re.compile(r"^(?P<name>.+?)(?::v?(?P<version>\d+))?$")


class ModelVersionNotFoundError(KeyError):
    """No model version matches the reference given."""

    def __str__(self) -> str:
        return str(self.args[0])


def next_version(name: str) -> int:
    """The version number the next registration of ``name`` gets."""
    with session_scope() as session:
        query = sa.select(sa.func.max(ModelVersionRow.version)).where(ModelVersionRow.name == name)
        top = session.scalar(query)
        return (top or 0) + 1


def insert_version(**fields: Any) -> ModelVersionRecord:
    """Insert a model version (columns as keyword arguments)."""
    with session_scope() as session:
        row = ModelVersionRow(**fields)
        session.add(row)
        session.flush()
        return ModelVersionRecord.model_validate(row)


def upsert_version(**fields: Any) -> ModelVersionRecord:
    """Insert or overwrite a model version by id (used when rebuilding the index)."""
    with session_scope() as session:
        row = session.merge(ModelVersionRow(**fields))
        session.flush()
        return ModelVersionRecord.model_validate(row)


def list_versions(name: str | None = None) -> list[ModelVersionRecord]:
    """Model versions, newest first, optionally of one name."""
    newest = (ModelVersionRow.created_at.desc(), ModelVersionRow.version.desc())
    query = sa.select(ModelVersionRow).order_by(*newest)
    if name is not None:
        query = query.where(ModelVersionRow.name == name)
    with session_scope() as session:
        return [ModelVersionRecord.model_validate(row) for row in session.scalars(query)]


def versions_of_job(job_id: str) -> list[ModelVersionRecord]:
    """Model versions registered from one job."""
    with session_scope() as session:
        rows = session.scalars(sa.select(ModelVersionRow).where(ModelVersionRow.job_id == job_id))
        return [ModelVersionRecord.model_validate(row) for row in rows]


def get_version(ref: str) -> ModelVersionRecord:
    """A version by id, ``name:vN`` / ``name:N``, or ``name`` (its newest version)."""
    with session_scope() as session:
        row = session.get(ModelVersionRow, ref)
        if row is None:
            match = _REF.match(ref)
            name, version = (match["name"], match["version"]) if match else (ref, None)
            query = sa.select(ModelVersionRow).where(ModelVersionRow.name == name)
            if version is not None:
                query = query.where(ModelVersionRow.version == int(version))
            row = session.scalars(query.order_by(ModelVersionRow.version.desc()).limit(1)).first()
        if row is None:
            raise ModelVersionNotFoundError(
                f"no model version {ref!r}; give an id or NAME[:vN] from `omnitune models list`"
            )
        return ModelVersionRecord.model_validate(row)
