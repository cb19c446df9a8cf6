"""A raw record read from a source, with the location every problem about it will name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omnitune.data.report import Problem


@dataclass(slots=True)
class Row:
    """One raw record and where it came from (line for line files, row for tables and arrays)."""

    data: dict[str, Any]
    file: str
    line: int | None = None
    row: int | None = None

    def where(self) -> str:
        """'file line N' or 'file row N'."""
        return f"{self.file} line {self.line}" if self.line is not None else f"{self.file} row {self.row}"

    def problem(
        self, message: str, *, field: str | None = None, hint: str = "", warning: bool = False
    ) -> Problem:
        """A Problem located at this record."""
        return Problem(
            file=self.file,
            line=self.line,
            row=self.row,
            field=field,
            message=message,
            hint=hint,
            severity="warning" if warning else "error",
        )


@dataclass
class SourceFile:
    """The rows of one file and the problems met while reading it."""

    path: str
    kind: str  # jsonl | json | csv | tsv | parquet | txt | md | hub
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unreadable_rows: int = 0  # lines/rows that never became a record (bad JSON, bad UTF-8)
