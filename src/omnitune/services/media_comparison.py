"""`omnitune models compare` for media versions: a text-to-image, speech, music or video version against its
base (``B = base``, loaded as the studio's side-by-side sessions load it) or another version of the same
kind. Every prompt runs through both with the same seed (``media_sessions.generate``, sides ``a`` and
``b``); the files and ``comparison.json``, which links them, are written to the ``--out`` directory.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from omnitune.registry.references import ResolvedModel
from omnitune.services.media_sessions import MediaOptions

COMPARISON_FILE = "comparison.json"


class MediaComparedRow(BaseModel):
    """One prompt: both sides' files (relative to the comparison's directory), latencies and details."""

    prompt: str
    seed: int
    output_id: str
    file_a: str
    file_b: str
    latency_a_s: float
    latency_b_s: float
    details_a: dict[str, Any] = Field(default_factory=dict)
    details_b: dict[str, Any] = Field(default_factory=dict)


class MediaComparison(BaseModel):
    """Two media models of one kind on the same prompts and seed; ``write`` saves ``comparison.json``."""

    kind: str
    media_type: str
    model_a: str
    model_b: str
    directory: str
    rows: list[MediaComparedRow]
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def path(self, file: str) -> Path:
        """Where a row's file lies (the JSON links files relative to its own directory)."""
        return Path(self.directory) / file

    def write(self) -> Path:
        """Save as ``<directory>/comparison.json``; returns its path."""
        path = Path(self.directory) / COMPARISON_FILE
        path.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        return path


def model_kind(resolved: ResolvedModel) -> str:
    """``language``, or ``image`` / ``speech`` / ``music`` / ``video`` for a media version."""
    from omnitune.services.media_sessions import media_kind
    from omnitune.serving.loading import served_kind

    version = resolved.version
    if version is not None and version.recipe:
        media = media_kind(version)
        if media is None and not version.recipe.startswith("llm_"):
            raise ValueError(
                f"{version.ref} was trained by the {version.recipe} recipe; `models compare` compares "
                "language models and text-to-image, speech, music and video versions (compare others by "
                "their metrics: `omnitune models show`)"
            )
        return media or "language"
    kind = served_kind(resolved)  # a directory, by its files
    if kind != "language":
        raise ValueError(
            f"{resolved.label} is {described(kind)} directory; `models compare` compares media models as "
            "registered versions: register it (`omnitune models register`) and compare NAME:vN"
        )
    return kind


def described(kind: str) -> str:
    """``a language model``, ``a video model`` … for error messages."""
    from omnitune.serving.loading import DESCRIPTIONS

    return DESCRIPTIONS.get(kind, f"a {kind} model")


def compare_media(
    a: ResolvedModel, model_b: str, prompts: list[str], out: Path | None, options: MediaOptions
) -> MediaComparison:
    """Load A and B (``base`` or a version of A's kind), generate every prompt with both, save the files."""
    from omnitune.services.media_sessions import generate

    kind = model_kind(a)
    if out is None or out.is_file() or out.suffix.lower() == ".json":
        raise ValueError(
            f"--out: comparing {described(kind)} writes one file per prompt and side; give a directory "
            f"(new or existing), e.g. --out {out.with_suffix('') if out else 'compare-out'}/"
        )
    models = _load_sides(a, model_b, kind)
    out.mkdir(parents=True, exist_ok=True)
    rows, media_type = [], ""
    for prompt in prompts:
        output = generate(models, out, prompt, options)
        media_type = output.media_type
        rows.append(MediaComparedRow(
            prompt=prompt, seed=output.seed, output_id=output.id,
            file_a=output.files["a"].name, file_b=output.files["b"].name,
            latency_a_s=output.latency_s["a"], latency_b_s=output.latency_s["b"],
            details_a=output.details["a"], details_b=output.details["b"]))  # fmt: skip
    comparison = MediaComparison(kind=kind, media_type=media_type, model_a=models["a"].name,
                                 model_b=models["b"].name, directory=str(out), rows=rows)  # fmt: skip
    comparison.write()
    return comparison


def _load_sides(a: ResolvedModel, model_b: str, kind: str) -> dict[str, Any]:
    from omnitune.registry.references import resolve_model
    from omnitune.services.media_bases import load_base
    from omnitune.services.media_sessions import load_version

    assert a.version is not None
    if model_b == "base":
        trained = load_version(a.version)
        return {"a": trained, "b": load_base(a.version, kind, trained)}
    b = resolve_model(model_b)
    other = model_kind(b)
    if other != kind or b.version is None:
        raise ValueError(
            f"A ({a.label}) is {described(kind)} ({a.version.recipe}) but B ({b.label}) is "
            f"{described(other)}; compare a media version with `base` or another {kind} version"
        )
    return {"a": load_version(a.version), "b": load_version(b.version)}
