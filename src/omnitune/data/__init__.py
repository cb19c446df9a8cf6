"""Datasets: inspect, validate, normalise and preprocess per modality (light: no torch at import)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from omnitune.data.chat_template import DEFAULT_CHAT_TEMPLATE, ensure_chat_template, render_chat
from omnitune.data.errors import DataError
from omnitune.data.families import family_for_method
from omnitune.data.manifest import DatasetManifest
from omnitune.data.packing import pack_sequences, packing_efficiency
from omnitune.data.report import InspectionReport, Problem
from omnitune.types import DataFamily, Modality

__all__ = [
    "DEFAULT_CHAT_TEMPLATE",
    "DataError",
    "DatasetManifest",
    "InspectionReport",
    "Problem",
    "ensure_chat_template",
    "family_for_method",
    "inspect",
    "pack_sequences",
    "packing_efficiency",
    "prepare",
    "render_chat",
]


def inspect(
    path: str | Path,
    modality: Modality | str | None = None,
    *,
    column_map: dict[str, str] | None = None,
    tokenizer: Any = None,
    max_len: int | None = None,
    **options: Any,
) -> InspectionReport:
    """Say what is at ``path``: modality, format with evidence, counts, statistics and every problem."""
    from omnitune.data import dispatch

    resolved: Modality | None = None
    try:
        resolved, why = dispatch.resolve_modality(path, modality)
        if resolved is Modality.LLM:
            from omnitune.data.text import inspect_text

            report = inspect_text(
                path,
                column_map=column_map,
                tokenizer=tokenizer,
                max_len=max_len,
                family=options.get("family"),
            )
        else:
            report = dispatch.call_with_known(
                dispatch.media_function(resolved, "inspect"), Path(path), **options
            )
        report.evidence.insert(0, f"modality {resolved.value}: {why}")
        return report
    except (DataError, OSError) as err:  # unreadable input is a report, never a traceback
        return dispatch.failed_report(path, err, resolved)


def prepare(
    path: str | Path,
    out_dir: str | Path,
    *,
    family: DataFamily | str | None = None,
    modality: Modality | str | None = None,
    column_map: dict[str, str] | None = None,
    validation_fraction: float = 0.1,
    seed: int = 42,
    fix: Collection[str] = (),
    tokenizer: Any = None,
    max_len: int | None = None,
    dedupe: bool = True,
    **options: Any,
) -> DatasetManifest:
    """Write the normalised dataset a recipe reads (manifest last, atomically); DataError when unusable."""
    from omnitune.data import dispatch

    resolved, _ = dispatch.resolve_modality(path, modality)
    _refuse_output_inside_source(Path(path), Path(out_dir))
    if resolved is not Modality.LLM:
        function = dispatch.media_function(resolved, "prepare")
        return dispatch.call_with_known(
            function, Path(path), Path(out_dir), validation_fraction=validation_fraction, seed=seed, **options
        )  # type: ignore[no-any-return]
    from omnitune.data.text import prepare_text

    return prepare_text(
        path,
        out_dir,
        family=family,
        column_map=column_map,
        validation_fraction=validation_fraction,
        seed=seed,
        fix=fix,
        tokenizer=tokenizer,
        max_len=max_len,
        dedupe=dedupe,
        **options,
    )


def _refuse_output_inside_source(source: Path, out_dir: Path) -> None:
    if source.is_dir() and out_dir.resolve().is_relative_to(source.resolve()):
        raise DataError(
            f"--out {out_dir} is inside the source folder {source}; the source is never modified, "
            "so choose an output folder outside it"
        )
