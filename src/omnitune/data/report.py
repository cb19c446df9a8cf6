"""What `data inspect` finds: detected format with evidence, statistics and located problems."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from omnitune.types import DataFamily, Modality


class Problem(BaseModel):
    """One thing wrong with the data, located precisely enough to fix."""

    file: str
    line: int | None = Field(None, description="1-based line for line-oriented files (JSONL, TXT).")
    row: int | None = Field(None, description="0-based row for tabular or array files (CSV, Parquet, JSON).")
    field: str | None = None
    message: str
    hint: str = Field("", description="How to fix it.")
    severity: Literal["error", "warning"] = "error"

    def located(self) -> str:
        """'file:line field' for human-readable output."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        elif self.row is not None:
            where += f" row {self.row}"
        if self.field:
            where += f" [{self.field}]"
        return where


class InspectionReport(BaseModel):
    """The full answer of `omnitune data inspect PATH`."""

    path: str
    modality: Modality | None = None
    format: str | None = Field(None, description="e.g. 'alpaca', 'sharegpt', 'imagefolder'.")
    family: DataFamily | None = None
    confidence: float = Field(0.0, ge=0, le=1)
    evidence: list[str] = Field(default_factory=list)
    files: int = 0
    records: int = 0
    stats: dict[str, Any] = Field(default_factory=dict)
    preview: list[dict[str, Any]] = Field(default_factory=list, description="First normalised examples.")
    problems: list[Problem] = Field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """Problems that make records unusable."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def usable(self) -> bool:
        """True when a format was found and at least one record survives validation."""
        return self.format is not None and self.records > len(self.errors)
