"""Resolve what a person types (``ID``, ``NAME:vN``, ``NAME@alias``, ``NAME``, a directory, a catalog or
Hub id) to a registered version and/or a loadable path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from omnitune.store import model_versions, registry
from omnitune.store.model_versions import ModelVersionNotFoundError
from omnitune.store.records import ModelVersionRecord


@dataclass
class ResolvedModel:
    """A model to load: a display label, a path or id, and the registered version when there is one."""

    label: str
    path: str
    version: ModelVersionRecord | None = None


def resolve_version(ref: str) -> ModelVersionRecord:
    """A registered version by id, ``NAME:vN``, ``NAME@alias`` or ``NAME`` (newest)."""
    if "@" in ref:
        name, _, alias = ref.partition("@")
        history = registry.alias_history(name, alias)
        if not history:
            raise ModelVersionNotFoundError(
                f"no alias {alias!r} on model {name!r}; "
                f"set one with `omnitune models alias {name}:vN {alias}`"
            )
        return model_versions.get_version(history[0].version_id)
    return model_versions.get_version(ref)


def resolve_model(ref: str) -> ResolvedModel:
    """A registered version's artefact, else a directory, else a catalog/Hub id as given."""
    if Path(ref).expanduser().is_dir():
        return ResolvedModel(ref, str(Path(ref).expanduser().resolve()))
    try:
        version = resolve_version(ref)
    except ModelVersionNotFoundError:
        if "@" in ref or ":v" in ref:
            raise
        return ResolvedModel(ref, ref)
    return ResolvedModel(version.ref, version.artefact_path, version)


def resolve_baseline(ref: str, model: ResolvedModel) -> ResolvedModel:
    """``base`` means the model's own base (the saved ``base/`` of an adapter, else its base id)."""
    if ref != "base":
        return resolve_model(ref)
    saved = Path(model.path) / "base"
    if (saved / "config.json").is_file():
        return ResolvedModel(f"{model.label} base", str(saved))
    if model.version is None or not model.version.base_model:
        raise ValueError(f"--against base: {model.label} records no base model; name the baseline instead")
    return ResolvedModel(model.version.base_model, model.version.base_model)
