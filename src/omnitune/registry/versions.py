"""Registry use cases on versions: aliases with rollback, tags, search, checksum verification, removal, audit.

Every change is written to the audit log with the acting user (OMNITUNE_USER, else the login name).
"""

from __future__ import annotations

import getpass
import os
import shutil
from pathlib import Path
from typing import Any

from omnitune.registry.references import resolve_version
from omnitune.services.models import artefact_sha256
from omnitune.store import model_versions, registry
from omnitune.store.records import ModelVersionRecord
from omnitune.store.registry_records import AliasRecord, AuditRecord


class ChecksumMismatchError(ValueError):
    """A version's files no longer match the sha256 recorded when it was registered."""


def actor() -> str:
    """Who is acting, for the audit log."""
    try:
        return os.environ.get("OMNITUNE_USER") or getpass.getuser()
    except OSError:
        return "unknown"


def audit(action: str, ref: str, **details: Any) -> None:
    """Record one registry change."""
    registry.record_audit(action, ref, actor(), details)


def set_alias(ref: str, alias: str) -> AliasRecord:
    """Point ``NAME@alias`` at the version ``ref`` (the previous target is kept for rollback)."""
    if not alias.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"alias {alias!r}: use letters, digits, - or _ (e.g. production, staging)")
    version = resolve_version(ref)
    previous = registry.alias_history(version.name, alias)
    record = registry.push_alias(version.name, alias, version.id)
    audit("alias", f"{version.name}@{alias}", version=version.ref,
          previous=previous[0].version_id if previous else None)  # fmt: skip
    return record


def rollback_alias(name: str, alias: str) -> ModelVersionRecord:
    """Point ``NAME@alias`` back at the version it had before its latest change."""
    history = registry.alias_history(name, alias)
    if len(history) < 2:
        raise ValueError(f"{name}@{alias} has no earlier version to roll back to")
    registry.pop_alias(name, alias)
    restored = model_versions.get_version(history[1].version_id)
    audit("rollback", f"{name}@{alias}", from_version=history[0].version_id, to_version=restored.ref)
    return restored


def aliases(name: str | None = None) -> dict[str, str]:
    """Current ``NAME@alias -> NAME:vN``."""
    found = {}
    for record in registry.current_aliases(name):
        found[f"{record.name}@{record.alias}"] = model_versions.get_version(record.version_id).ref
    return found


def tag(ref: str, key: str, value: str = "") -> None:
    """Set a tag on a version."""
    version = resolve_version(ref)
    registry.set_tag(version.id, key, value)
    audit("tag", version.ref, key=key, value=value)


def untag(ref: str, key: str) -> None:
    """Remove a tag from a version."""
    version = resolve_version(ref)
    if not registry.remove_tag(version.id, key):
        raise KeyError(f"{version.ref} has no tag {key!r}")
    audit("untag", version.ref, key=key)


def search(
    name: str | None = None,
    tags: dict[str, str | None] | None = None,
    method: str | None = None,
    base_model: str | None = None,
    text: str | None = None,
) -> list[ModelVersionRecord]:
    """Versions matching every filter given (tags: key, or key=value)."""
    found = model_versions.list_versions(name)
    for key, value in (tags or {}).items():
        ids = registry.versions_with_tag(key, value)
        found = [v for v in found if v.id in ids]
    if method:
        found = [v for v in found if v.method == method]
    if base_model:
        found = [v for v in found if v.base_model == base_model]
    if text:
        needle = text.lower()
        found = [v for v in found if needle in f"{v.name} {v.base_model} {v.method} {v.recipe}".lower()]
    return found


def verify(ref: str) -> ModelVersionRecord:
    """Recompute the artefact's sha256; raise ChecksumMismatchError when it changed."""
    version = resolve_version(ref)
    path = Path(version.artefact_path)
    if not path.is_dir():
        raise FileNotFoundError(f"{version.ref}: artefact directory {path} is missing")
    actual = artefact_sha256(path)
    if actual != version.sha256:
        raise ChecksumMismatchError(
            f"{version.ref}: artefact {path} changed since registration (sha256 {actual[:12]}… != "
            f"recorded {version.sha256[:12]}…); re-register it from its job or restore the files"
        )
    return version


def remove(ref: str, force: bool = False) -> ModelVersionRecord:
    """Delete a version's files and records (refuses while an alias points at it, unless ``force``)."""
    version = resolve_version(ref)
    pointing = [
        f"{a.name}@{a.alias}" for a in registry.current_aliases(version.name) if a.version_id == version.id
    ]
    if pointing and not force:
        raise ValueError(f"{version.ref} is {', '.join(pointing)}; move the alias first or pass --force")
    registry.delete_version(version.id)
    home = Path(version.artefact_path).parent
    if home.is_dir() and home.name == f"v{version.version}":
        shutil.rmtree(home)
    audit("remove", version.ref, id=version.id, sha256=version.sha256, aliases=pointing)
    return version


def history(ref_prefix: str | None = None, limit: int = 200) -> list[AuditRecord]:
    """The audit log, newest first."""
    return registry.audit_log(ref_prefix, limit)


def details(ref: str) -> dict[str, Any]:
    """A version with its tags, aliases, evaluations and serving usage."""
    version = resolve_version(ref)
    return {
        **version.model_dump(mode="json"),
        "tags": registry.tags_of(version.id),
        "aliases": [f"{a.name}@{a.alias}" for a in registry.current_aliases(version.name)
                    if a.version_id == version.id],
        "evaluations": [e.model_dump(mode="json") for e in registry.evaluations_of(version.id)],
        "usage": registry.usage_of(version.id).model_dump(mode="json"),
    }  # fmt: skip
