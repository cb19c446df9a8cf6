"""Metadata tables that sit beside media files (`metadata.jsonl`, `metadata.csv`), read tolerantly."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from omnitune.data.media_output import read_text_file
from omnitune.data.report import Problem

METADATA_NAMES = ("metadata.jsonl", "metadata.csv", "metadata.tsv")

FILE_COLUMNS = ("file_name", "file", "filename", "image", "audio", "video", "path")
TEXT_COLUMNS = ("text", "caption", "prompt", "transcript", "transcription", "sentence", "description")


@dataclass
class MetadataRow:
    """One row of a metadata table with where it came from (line for JSONL, row for CSV)."""

    values: dict[str, Any]
    line: int | None = None
    row: int | None = None

    def problem(
        self, file: str, field: str | None, message: str, hint: str, severity: str = "error"
    ) -> Problem:
        """A problem located at this row."""
        return Problem(
            file=file,
            line=self.line,
            row=self.row,
            field=field,
            message=message,
            hint=hint,
            severity="error" if severity == "error" else "warning",
        )


@dataclass
class MetadataTable:
    """A parsed metadata file: its rows, the problems met while parsing, and the columns found."""

    path: Path
    rows: list[MetadataRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def column(self, candidates: tuple[str, ...]) -> str | None:
        """The first candidate column present in any row (case-insensitive match, original name)."""
        present: dict[str, str] = {}
        for row in self.rows:
            for key in row.values:
                present.setdefault(str(key).lower(), str(key))
        return next((present[c] for c in candidates if c in present), None)


def find_metadata(root: Path) -> Path | None:
    """The metadata file at the top of a dataset folder, if any."""
    if root.is_file():
        return root if root.suffix.lower() in (".jsonl", ".csv", ".tsv") else None
    return next((root / n for n in METADATA_NAMES if (root / n).is_file()), None)


def read_metadata(path: Path) -> MetadataTable:
    """Parse a JSONL or CSV/TSV metadata file; bad lines become problems, never exceptions."""
    table = MetadataTable(path)
    text, reason = read_text_file(path)
    if text is None:
        table.problems.append(
            Problem(file=path.name, message=f"metadata file {reason}", hint="save it as UTF-8 text")
        )
        return table
    if path.suffix.lower() == ".jsonl":
        _read_jsonl(text, table)
    else:
        _read_csv(text, table, "\t" if path.suffix.lower() == ".tsv" else None)
    if not table.rows and not table.problems:
        table.problems.append(
            Problem(
                file=path.name,
                message="metadata file has no rows",
                hint="add one row per file, or delete it to use same-name .txt files",
            )
        )
    return table


def _read_jsonl(text: str, table: MetadataTable) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            table.problems.append(
                Problem(
                    file=table.path.name,
                    line=number,
                    message=f"not valid JSON ({exc.msg} at column {exc.colno})",
                    hint='each line must be one JSON object, e.g. {"file_name": "a.png", "text": "..."}',
                )
            )
            continue
        if not isinstance(value, dict):
            table.problems.append(
                Problem(
                    file=table.path.name,
                    line=number,
                    message="line is not a JSON object",
                    hint="write one object per line",
                )
            )
            continue
        table.rows.append(MetadataRow(value, line=number))


def _read_csv(text: str, table: MetadataTable, delimiter: str | None) -> None:
    if delimiter is None:
        first = text.split("\n", 1)[0]
        delimiter = "|" if first.count("|") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = [r for r in reader if any(cell.strip() for cell in r)]
    if not rows:
        return
    header = [h.strip() for h in rows[0]]
    if not {h.lower() for h in header} & set(FILE_COLUMNS):
        # LJSpeech style: no header, `id|transcript[|normalised transcript]`.
        header = ["file_name", "text", "normalized_text"][: len(rows[0])]
        data = rows
    else:
        data = rows[1:]
    for index, cells in enumerate(data):
        if len(cells) != len(header):
            table.problems.append(
                Problem(
                    file=table.path.name,
                    row=index,
                    message=f"{len(cells)} cells, header has {len(header)}",
                    hint="quote cells that contain the delimiter",
                    severity="warning",
                )
            )
        table.rows.append(MetadataRow(dict(zip(header, cells, strict=False)), row=index))


def text_value(value: Any) -> str | None:
    """A metadata cell as text: None when absent, the stripped string otherwise."""
    if value is None:
        return None
    return value.strip() if isinstance(value, str) else str(value)


def unsupported_file(path: Path, kind: str) -> Problem:
    """The problem for a single file that is neither a ``kind`` file nor a metadata table."""
    return Problem(
        file=path.name,
        message=f"not a supported {kind} file or metadata table",
        hint=f"point at the dataset folder, a {kind} file, or metadata.jsonl/csv",
    )


def file_column(table: MetadataTable, problems: list[Problem], hint: str) -> str | None:
    """The table's file column; copies the table's problems, and adds one when rows lack that column."""
    problems += table.problems
    file_col = table.column(FILE_COLUMNS)
    if file_col is None and table.rows:
        problems.append(Problem(file=table.path.name, field="file_name", message="no file column", hint=hint))
    return file_col


ItemT = TypeVar("ItemT")


@dataclass
class MediaLayout(Generic[ItemT]):
    """What discovery found in a media dataset: format, evidence, items and located problems."""

    root: Path
    format: str = ""
    evidence: list[str] = field(default_factory=list)
    items: list[ItemT] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


LayoutT = TypeVar("LayoutT", bound=MediaLayout[Any])


CheckT = TypeVar("CheckT")


@dataclass
class MediaAssessment(Generic[LayoutT, CheckT, ItemT]):
    """Discovery plus per-file checks: the usable items and every located problem."""

    layout: LayoutT
    checks: dict[str, CheckT] = field(default_factory=dict)
    good: list[ItemT] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def candidates(self) -> int:
        """Records considered: found files plus metadata rows that pointed nowhere."""
        row_errors = [
            p for p in self.layout.problems if p.severity == "error" and (p.line or p.row is not None)
        ]
        return len(self.layout.items) + len(row_errors)


def fill_layout(
    path: Path,
    layout: LayoutT,
    kind: str,
    from_metadata: Callable[[LayoutT, MetadataTable], None],
    from_folder: Callable[[LayoutT], None],
) -> bool:
    """Fill ``layout`` from the metadata at ``path``, else its folder; False for a lone unsupported file."""
    metadata = find_metadata(path)
    if path.is_file() and metadata is None:
        layout.problems.append(unsupported_file(path, kind))
        return False
    if metadata is not None:
        from_metadata(layout, read_metadata(metadata))
    else:
        from_folder(layout)
    return True


def label_by_folder(layout: MediaLayout[Any], noun: str, fmt: str) -> bool:
    """Label each item by its top folder when all sit in two or more folders; False (untouched) otherwise."""
    parts = [Path(item.rel).parts for item in layout.items]
    tops = sorted({p[0] for p in parts if len(p) > 1})
    if len(tops) < 2 or any(len(p) < 2 for p in parts):
        return False
    layout.format = fmt
    layout.evidence.append(f"{noun} sorted into {len(tops)} class folders: {', '.join(tops[:8])}")
    for item, p in zip(layout.items, parts, strict=True):
        item.label = p[0]
    return True
