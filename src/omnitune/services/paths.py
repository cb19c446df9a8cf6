"""Where the studio may read data from: allowed roots only, no traversal, no symlink escapes."""

from __future__ import annotations

import os
from pathlib import Path

from omnitune.settings import get_settings

DATA_ROOTS_ENV = "OMNITUNE_DATA_ROOTS"


class PathNotAllowedError(ValueError):
    """A path outside the allowed data roots (or missing)."""


def uploads_dir() -> Path:
    """Where uploaded datasets are stored (always an allowed root)."""
    return get_settings().home / "uploads"


def allowed_roots() -> list[Path]:
    """The uploads folder plus every folder in OMNITUNE_DATA_ROOTS (os.pathsep-separated)."""
    extra = [Path(p) for p in os.environ.get(DATA_ROOTS_ENV, "").split(os.pathsep) if p.strip()]
    return [root.resolve() for root in (uploads_dir(), *extra)]


def resolve_data_path(raw: str) -> Path:
    """The real path of ``raw`` if it exists inside an allowed root (symlinks resolved first)."""
    if "\0" in raw or not raw.strip():
        raise PathNotAllowedError("data path is empty or contains a NUL byte")
    real = Path(raw).expanduser().resolve()
    roots = allowed_roots()
    if not any(real == root or real.is_relative_to(root) for root in roots):
        listed = ", ".join(str(r) for r in roots)
        raise PathNotAllowedError(
            f"data path {raw!r} resolves to {real}, outside the allowed roots ({listed}); upload the "
            f"data or add its folder to {DATA_ROOTS_ENV}"
        )
    if not real.exists():
        raise PathNotAllowedError(f"data path {raw!r} does not exist")
    return real
