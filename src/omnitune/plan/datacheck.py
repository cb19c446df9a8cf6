"""Optional look at the user's data with omnitune.data.inspect (when that package provides it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DataFindings:
    """What inspecting the data path found."""

    found_samples: int | None = None
    format: str | None = None
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def inspect_data(path: str, min_samples: int, recommended: int) -> DataFindings:
    """Inspect ``path`` when omnitune.data.inspect exists; count, format and warnings."""
    try:
        from omnitune.data import inspect  # type: ignore[attr-defined]
    except ImportError:
        return DataFindings(
            warnings=[f"data at {path} not inspected: omnitune.data.inspect is not available"]
        )
    try:
        report = inspect(path)
    except Exception as exc:  # a bad path must not stop planning; the plan says what went wrong
        return DataFindings(warnings=[f"could not inspect {path}: {exc}"])
    # records counts bad rows too; valid_records is what training will see
    valid = report.stats.get("valid_records", report.records - len(report.errors))
    found = DataFindings(found_samples=max(0, int(valid)), format=report.format, stats=dict(report.stats))
    if report.format is None:
        found.warnings.append(f"{path}: no known data format detected")
    if found.found_samples is not None and found.found_samples < max(min_samples, 1):
        found.warnings.append(f"only {found.found_samples} examples; {recommended}+ recommended")
    elif found.found_samples is not None and found.found_samples < recommended:
        found.warnings.append(f"{found.found_samples} examples; {recommended}+ recommended for best results")
    found.warnings += [f"{p.located()}: {p.message}" for p in report.errors[:5]]
    return found
