"""Registry state beside model versions: alias history, tags, audit log, evaluations, serving usage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from omnitune.store.db import session_scope
from omnitune.store.registry_records import AliasRecord, AuditRecord, EvaluationRecord, UsageRecord
from omnitune.store.registry_tables import AliasHistoryRow, AuditRow, EvaluationRow, TagRow, UsageRow
from omnitune.store.tables import ModelVersionRow, utcnow


def push_alias(name: str, alias: str, version_id: str) -> AliasRecord:
    """Point ``name@alias`` at a version (older assignments stay for rollback)."""
    with session_scope() as session:
        row = AliasHistoryRow(name=name, alias=alias, version_id=version_id, set_at=utcnow())
        session.add(row)
        session.flush()
        return AliasRecord.model_validate(row)


def alias_history(name: str, alias: str) -> list[AliasRecord]:
    """Assignments of ``name@alias``, newest first."""
    query = (
        sa.select(AliasHistoryRow)
        .where(AliasHistoryRow.name == name, AliasHistoryRow.alias == alias)
        .order_by(AliasHistoryRow.id.desc())
    )
    with session_scope() as session:
        return [AliasRecord.model_validate(row) for row in session.scalars(query)]


def pop_alias(name: str, alias: str) -> AliasRecord | None:
    """Drop the current assignment of ``name@alias``; return it (None when there was none)."""
    with session_scope() as session:
        query = (
            sa.select(AliasHistoryRow)
            .where(AliasHistoryRow.name == name, AliasHistoryRow.alias == alias)
            .order_by(AliasHistoryRow.id.desc())
            .limit(1)
        )
        row = session.scalars(query).first()
        if row is None:
            return None
        record = AliasRecord.model_validate(row)
        session.delete(row)
        return record


def current_aliases(name: str | None = None) -> list[AliasRecord]:
    """The current assignment of every alias (optionally of one model name)."""
    newest = sa.select(sa.func.max(AliasHistoryRow.id)).group_by(AliasHistoryRow.name, AliasHistoryRow.alias)
    query = sa.select(AliasHistoryRow).where(AliasHistoryRow.id.in_(newest)).order_by(AliasHistoryRow.alias)
    if name is not None:
        query = query.where(AliasHistoryRow.name == name)
    with session_scope() as session:
        return [AliasRecord.model_validate(row) for row in session.scalars(query)]


def set_tag(version_id: str, key: str, value: str) -> None:
    """Set (or overwrite) a tag on a version."""
    with session_scope() as session:
        session.merge(TagRow(version_id=version_id, key=key, value=value))


def remove_tag(version_id: str, key: str) -> bool:
    """Remove a tag; False when it was not set."""
    with session_scope() as session:
        row = session.get(TagRow, (version_id, key))
        if row is not None:
            session.delete(row)
        return row is not None


def tags_of(version_id: str) -> dict[str, str]:
    """A version's tags."""
    with session_scope() as session:
        rows = session.scalars(sa.select(TagRow).where(TagRow.version_id == version_id).order_by(TagRow.key))
        return {row.key: row.value for row in rows}


def versions_with_tag(key: str, value: str | None = None) -> set[str]:
    """Ids of versions carrying tag ``key`` (with ``value`` when given)."""
    query = sa.select(TagRow.version_id).where(TagRow.key == key)
    if value is not None:
        query = query.where(TagRow.value == value)
    with session_scope() as session:
        return set(session.scalars(query))


def record_audit(action: str, ref: str, actor: str, details: dict[str, Any]) -> None:
    """Append one entry to the audit log."""
    with session_scope() as session:
        session.add(AuditRow(ts=utcnow(), action=action, ref=ref, actor=actor, details=details))


def audit_log(ref_prefix: str | None = None, limit: int = 200) -> list[AuditRecord]:
    """Audit entries, newest first (optionally those whose ref starts with ``ref_prefix``)."""
    query = sa.select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if ref_prefix:
        query = query.where(AuditRow.ref.startswith(ref_prefix))
    with session_scope() as session:
        return [AuditRecord.model_validate(row) for row in session.scalars(query)]


def insert_evaluation(**fields: Any) -> EvaluationRecord:
    """Index an evaluation report."""
    with session_scope() as session:
        row = EvaluationRow(created_at=utcnow(), **fields)
        session.add(row)
        session.flush()
        return EvaluationRecord.model_validate(row)


def evaluations_of(version_id: str) -> list[EvaluationRecord]:
    """A version's evaluation reports, newest first."""
    query = (
        sa.select(EvaluationRow)
        .where(EvaluationRow.version_id == version_id)
        .order_by(EvaluationRow.created_at.desc())
    )
    with session_scope() as session:
        return [EvaluationRecord.model_validate(row) for row in session.scalars(query)]


def add_usage(version_id: str, prompt_tokens: int, completion_tokens: int, when: datetime) -> None:
    """Count one served request."""
    with session_scope() as session:
        row = session.get(UsageRow, version_id) or UsageRow(
            version_id=version_id, requests=0, prompt_tokens=0, completion_tokens=0
        )
        row.requests += 1
        row.prompt_tokens += prompt_tokens
        row.completion_tokens += completion_tokens
        row.last_used_at = when
        session.merge(row)


def usage_of(version_id: str) -> UsageRecord:
    """Serving counters of a version (zeros when never served)."""
    with session_scope() as session:
        row = session.get(UsageRow, version_id)
        return UsageRecord.model_validate(row) if row else UsageRecord(version_id=version_id)


def delete_version(version_id: str) -> None:
    """Delete a version's row (aliases, tags, evaluations and usage go with it)."""
    with session_scope() as session:
        for table in (AliasHistoryRow, TagRow, EvaluationRow, UsageRow):
            session.execute(sa.delete(table).where(table.version_id == version_id))
        session.execute(sa.delete(ModelVersionRow).where(ModelVersionRow.id == version_id))
