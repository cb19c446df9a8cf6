"""Readers for text data files: bytes in, located rows and problems out; never a traceback."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from omnitune.data.report import Problem
from omnitune.data.rows import Row, SourceFile

_UTF8_HINT = "re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in > out`)"


def _bad_utf8(name: str, line: int, err: UnicodeDecodeError) -> Problem:
    return Problem(
        file=name,
        line=line,
        message=f"not valid UTF-8 (byte 0x{err.object[err.start]:02x} at column {err.start + 1})",
        hint=_UTF8_HINT,
    )


def _decode_lines(data: bytes, name: str, source: SourceFile) -> tuple[list[str], set[int]]:
    """Lines decoded one by one, so one bad byte costs one line (named in a problem).

    Returns the lines (bad ones decoded with replacement characters) and the 1-based bad line numbers.
    """
    try:
        return data.decode("utf-8-sig").split("\n"), set()  # fast path: the whole file is valid
    except UnicodeDecodeError:
        pass
    lines, bad = [], set()
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as err:
            source.problems.append(_bad_utf8(name, number, err))
            source.unreadable_rows += 1
            bad.add(number)
            lines.append(raw.decode("utf-8", errors="replace"))
    lines[0] = lines[0].removeprefix("\ufeff")
    return lines, bad


def read_jsonl(data: bytes, name: str) -> SourceFile:
    """One JSON object per line; blank lines are skipped."""
    source = SourceFile(name, "jsonl")
    loads, rows = json.loads, source.rows
    lines, bad = _decode_lines(data, name, source)
    for number, text in enumerate(lines, start=1):
        if not text or text.isspace() or number in bad:
            continue
        try:
            obj = loads(text)
        except ValueError as err:
            source.unreadable_rows += 1
            col = getattr(err, "colno", None)
            where = f" at column {col}" if col else ""
            source.problems.append(
                Problem(
                    file=name,
                    line=number,
                    message=f"unparsable JSON{where}: {getattr(err, 'msg', err)}",
                    hint="each line must be one complete JSON object; fix or delete this line",
                )
            )
            continue
        if isinstance(obj, dict):
            rows.append(Row(obj, name, line=number))
        else:
            source.unreadable_rows += 1
            source.problems.append(
                Problem(
                    file=name,
                    line=number,
                    message=f"expected a JSON object, found {type(obj).__name__}",
                    hint='wrap the record in an object, e.g. {"text": ...}',
                )
            )
    return source


def _records_of(obj: Any) -> list[Any] | None:
    """The list of records in a JSON document: a list, or an object holding one list of objects."""
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict):
        lists = [v for v in obj.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        return lists[0] if len(lists) == 1 else [obj]
    return None


def read_json(data: bytes, name: str) -> SourceFile:
    """A JSON array of objects (or an object wrapping one); JSON Lines saved as .json also works."""
    source = SourceFile(name, "json")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        source.problems.append(_bad_utf8(name, data.count(b"\n", 0, err.start) + 1, err))
        source.unreadable_rows += 1
        return source
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg == "Extra data":
            jsonl = read_jsonl(data, name)
            jsonl.kind = "json"
            jsonl.problems.insert(
                0,
                Problem(
                    file=name,
                    message="file holds JSON Lines, not one JSON document; read it as JSONL",
                    hint="rename it to .jsonl",
                    severity="warning",
                ),
            )
            return jsonl
        source.unreadable_rows += 1
        source.problems.append(
            Problem(
                file=name,
                line=err.lineno,
                message=f"unparsable JSON at column {err.colno}: {err.msg}",
                hint="fix the syntax there (a missing comma or quote is common)",
            )
        )
        return source
    records = _records_of(obj)
    if records is None:
        source.problems.append(
            Problem(
                file=name,
                message="expected a JSON array of objects",
                hint='use [{"...": ...}, ...] or JSON Lines',
            )
        )
        return source
    for index, item in enumerate(records):
        if isinstance(item, dict):
            source.rows.append(Row(item, name, row=index))
        else:
            source.unreadable_rows += 1
            source.problems.append(
                Problem(file=name, row=index, message=f"expected an object, found {type(item).__name__}")
            )
    return source


def read_delimited(data: bytes, name: str, delimiter: str) -> SourceFile:
    """CSV or TSV with a header row; rows touching a non-UTF-8 line are skipped (and named)."""
    source = SourceFile(name, "tsv" if delimiter == "\t" else "csv")
    lines, bad = _decode_lines(data, name, source)
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # long documents in one cell are fine
    reader = csv.DictReader(io.StringIO("\n".join(lines), newline=""), delimiter=delimiter)
    try:
        if reader.fieldnames is None:  # reading the header also advances line_num past it
            return source
        start = reader.line_num + 1
        for index, record in enumerate(reader):
            end = reader.line_num
            if not bad.intersection(range(start, end + 1)):
                if None in record:
                    source.problems.append(
                        Problem(
                            file=name,
                            line=start,
                            row=index,
                            message="row has more fields than the header",
                            hint=f"quote values containing {'tabs' if delimiter == chr(9) else 'commas'}",
                            severity="warning",
                        )
                    )
                    record.pop(None)  # type: ignore[call-overload]
                source.rows.append(Row(dict(record), name, line=start, row=index))
            start = end + 1
    except csv.Error as err:
        source.problems.append(
            Problem(
                file=name,
                line=reader.line_num,
                message=f"unreadable CSV: {err}",
                hint="check quoting around this line",
            )
        )
    return source


def read_parquet(path: Path, name: str) -> SourceFile:
    """A Parquet table, one row per record."""
    source = SourceFile(name, "parquet")
    try:
        import pyarrow.parquet as pq

        records = pq.read_table(path).to_pylist()
    except Exception as err:  # pyarrow raises several types for corrupt files
        source.problems.append(
            Problem(
                file=name,
                message=f"unreadable Parquet file: {err}",
                hint="re-export the file, e.g. with pandas `to_parquet`",
            )
        )
        return source
    source.rows = [Row(r, name, row=i) for i, r in enumerate(records)]
    return source


def read_corpus(data: bytes, name: str, whole_file: bool) -> SourceFile:
    """A plain-text corpus: one record per file (.md) or per blank-line-separated block (.txt)."""
    source = SourceFile(name, "md" if whole_file else "txt")
    lines, bad = _decode_lines(data, name, source)
    block: list[str] = []
    start = 1
    for number, text in enumerate([*lines, ""], start=1):
        if number in bad:
            continue
        if text.strip() or (whole_file and number <= len(lines)):
            if not block:
                start = number
            block.append(text.rstrip("\r"))
        elif block:
            document = "\n".join(block).strip()
            if document:
                source.rows.append(Row({"text": document}, name, line=start))
            block = []
    return source
