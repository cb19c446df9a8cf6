"""Route `inspect`/`prepare` to the text pipeline or to the image, audio and video modules."""

from __future__ import annotations

import importlib
import inspect as pyinspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omnitune.data.errors import DataError
from omnitune.data.modality import detect_modality
from omnitune.data.report import InspectionReport, Problem
from omnitune.types import Modality

# modality -> (module, inspect function names, prepare function names); the first name present is used
MEDIA: dict[Modality, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    Modality.IMAGE: ("omnitune.data.image", ("inspect_images",), ("prepare_images",)),
    Modality.AUDIO: (
        "omnitune.data.audio",
        ("inspect_audio", "inspect_audios"),
        ("prepare_audio", "prepare_audios"),
    ),
    Modality.VIDEO: (
        "omnitune.data.video",
        ("inspect_videos", "inspect_video"),
        ("prepare_videos", "prepare_video"),
    ),
}


def resolve_modality(path: str | Path, modality: Modality | str | None) -> tuple[Modality, str]:
    """The declared modality, else (or for multimodal, whose parts are files) the detected one."""
    if modality is None or modality == Modality.MULTIMODAL:
        return detect_modality(path)
    try:
        declared = Modality(modality)
    except ValueError:
        raise DataError(
            f"unknown modality {modality!r}; choose from {', '.join(m.value for m in Modality)}"
        ) from None
    return declared, "declared"


def media_function(modality: Modality, action: str) -> Callable[..., Any]:
    """The image/audio/video module's inspect or prepare function, or a DataError saying it is missing."""
    module_name, inspectors, preparers = MEDIA[modality]
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise DataError(
            f"{modality.value} data support is not available ({module_name}: {err}); install "
            f"omnitune[{modality.value}] or check the installation"
        ) from err
    for name in inspectors if action == "inspect" else preparers:
        if hasattr(module, name):
            return getattr(module, name)  # type: ignore[no-any-return]
    raise DataError(f"{module_name} has no {action} function for {modality.value} data")


def call_with_known(function: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """Call ``function`` with only the keyword options it accepts (None values left out)."""
    params = pyinspect.signature(function).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in options.items() if v is not None and (takes_any or k in params)}
    return function(*args, **kwargs)


def failed_report(path: str | Path, err: Exception, modality: Modality | None = None) -> InspectionReport:
    """An inspection report that carries one error, for data that could not be read at all."""
    report = InspectionReport(path=str(path), modality=modality)
    extra = getattr(err, "problems", None) or []
    report.problems = [Problem(file=str(path), message=str(err).splitlines()[0]), *extra]
    return report
