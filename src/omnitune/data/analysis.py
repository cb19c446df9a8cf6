"""One pass over text data: read, detect, convert to a family, count tokens, find duplicates."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from omnitune.data.converters import CONVERTERS
from omnitune.data.dedupe import content_key, exact_duplicates, text_key
from omnitune.data.errors import DataError
from omnitune.data.families import adapt, can_adapt, record_text
from omnitune.data.formats import FORMAT_TESTS, Detection, detect_format, mapping_hint, matching_format
from omnitune.data.messages import RecordError
from omnitune.data.report import InspectionReport, Problem
from omnitune.data.rows import Row, SourceFile
from omnitune.data.sources import read_sources
from omnitune.data.tokens import TokenCounter, load_tokenizer
from omnitune.types import DataFamily, Modality

PREVIEW = 3
EVIDENCE_FILES = 5


@dataclass
class TextAnalysis:
    """Normalised records of one family, where each came from, and what was found on the way."""

    report: InspectionReport
    family: DataFamily | None
    counter: TokenCounter
    records: list[dict[str, Any]] = field(default_factory=list)
    origins: list[Row] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    keys: list[bytes] = field(default_factory=list)
    repeats: dict[int, int] = field(default_factory=dict)


def _apply_map(sources: list[SourceFile], column_map: dict[str, str], problems: list[Problem]) -> None:
    seen: set[str] = set()
    for source in sources:
        for row in source.rows:
            seen.update(k for k in column_map if k in row.data)
            row.data = {column_map.get(k, k): v for k, v in row.data.items()}
    for column in sorted(set(column_map) - seen):
        problems.append(
            Problem(
                file=sources[0].path if sources else "",
                field=column,
                severity="warning",
                message=f"--map names column {column!r}, which no record has",
                hint="check the spelling of the source column (map is column=field)",
            )
        )


def _detect_all(sources: list[SourceFile], problems: list[Problem]) -> list[tuple[SourceFile, Detection]]:
    found = []
    for source in sources:
        corpus = source.kind in ("txt", "md")
        detection = detect_format([r.data for r in source.rows], corpus=corpus)
        if detection.format is None and source.rows:
            columns = sorted({k for r in source.rows[:200] for k in r.data})
            problems.append(
                Problem(
                    file=source.path,
                    message="no known data format: " + detection.evidence[0],
                    hint=mapping_hint(columns),
                )
            )
        found.append((source, detection))
    return found


def _main_family(found: list[tuple[SourceFile, Detection]]) -> DataFamily | None:
    weights: Counter[DataFamily] = Counter()
    for source, detection in found:
        if detection.family is not None:
            weights[detection.family] += len(source.rows)
    return weights.most_common(1)[0][0] if weights else None


def _record_format(row: Row, detection: Detection) -> str | None:
    """The format to convert this row with: the file's, or the row's own when it differs but fits."""
    assert detection.format is not None
    if FORMAT_TESTS[detection.format](row.data):
        return detection.format
    own = matching_format(row.data)
    if own is None or own == detection.format:
        return detection.format  # the converter names what is missing
    if CONVERTERS[own][0] == detection.family:
        return own  # e.g. an alpaca record among sharegpt ones: same family, converted as what it is
    return None


def _convert(analysis: TextAnalysis, source: SourceFile, detection: Detection, tokenizer: Any) -> None:
    assert detection.format is not None and detection.family is not None and analysis.family is not None
    problems = analysis.report.problems
    for row in source.rows:
        fmt = _record_format(row, detection)
        if fmt is None:
            keys = ", ".join(sorted(map(str, row.data))) or "none"
            problems.append(
                row.problem(
                    f"this record looks like {matching_format(row.data)} data (keys: {keys}), unlike the "
                    f"rest of the file ({detection.format})",
                    hint="keep one layout per file; move or convert it",
                )
            )
            continue
        try:
            native = CONVERTERS[fmt][1](row.data)
            for record in adapt(native, CONVERTERS[fmt][0], analysis.family, tokenizer):
                text = record_text(record, analysis.family, tokenizer)
                analysis.records.append(record)
                analysis.origins.append(row)
                analysis.texts.append(text)
        except RecordError as err:
            problems.append(row.problem(err.message, field=err.field, hint=err.hint))
        except Exception as err:  # a chat template refusing the conversation, say
            problems.append(
                row.problem(
                    f"cannot render with the chat template: {err}",
                    field="messages",
                    hint="fix the conversation's roles, or use a tokenizer whose template fits",
                )
            )


def analyse_text(
    path: str,
    *,
    family: DataFamily | None = None,
    column_map: dict[str, str] | None = None,
    tokenizer: Any = None,
    max_len: int | None = None,
) -> TextAnalysis:
    """Read and normalise text data at ``path`` into ``family`` (default: the detected family)."""
    tokenizer = load_tokenizer(tokenizer)
    sources, problems = read_sources(path)
    report = InspectionReport(path=str(path), modality=Modality.LLM, files=len(sources))
    report.problems.extend(problems)
    for source in sources:
        report.problems.extend(source.problems)
    if column_map:
        _apply_map(sources, column_map, report.problems)
    found = _detect_all(sources, report.problems)
    detected = _main_family(found)
    analysis = TextAnalysis(report, family or detected, TokenCounter(tokenizer))
    report.records = sum(len(s.rows) + s.unreadable_rows for s in sources)
    for source, detection in found:
        if detection.family is None or analysis.family is None:
            continue
        if not can_adapt(detection.family, analysis.family):
            report.problems.append(
                Problem(
                    file=source.path,
                    message=f"{detection.format} records are {detection.family.value} data; "
                    f"{analysis.family.value} data is needed",
                    hint=_family_hint(analysis.family),
                )
            )
            continue
        _convert(analysis, source, detection, tokenizer)
    _describe(report, found, analysis)
    _measure(analysis, max_len)
    report.problems.sort(key=_where)
    return analysis


def _where(problem: Problem) -> tuple[str, int, int]:
    line = problem.line if problem.line is not None else -1
    return problem.file, line, problem.row if problem.row is not None else -1


def _family_hint(family: DataFamily) -> str:
    needs = {
        DataFamily.PREFERENCE: "pairs with 'prompt', 'chosen' and 'rejected'",
        DataFamily.UNPAIRED_PREFERENCE: "'prompt', 'completion' and a boolean 'label' (or preference pairs)",
        DataFamily.CLASSIFICATION: "'text' and 'label' columns",
        DataFamily.PAIRS: "'anchor' and 'positive' columns (sentence pairs)",
        DataFamily.CHAT: "conversations, instruction/output or prompt/completion records",
        DataFamily.TEXT: "plain text",
    }
    need = needs.get(family, "matching records")
    return f"{family.value} training needs {need}; supply such data or change the method"


def _describe(
    report: InspectionReport, found: list[tuple[SourceFile, Detection]], analysis: TextAnalysis
) -> None:
    used = [(s, d) for s, d in found if d.format is not None]
    if not used:
        if not report.problems:
            report.problems.append(
                Problem(
                    file=report.path,
                    message="no readable records",
                    hint="check the files are not empty and are valid JSON/CSV/text",
                )
            )
        return
    formats = Counter[str]()
    for source, detection in used:
        formats[str(detection.format)] += len(source.rows)
    report.format = "+".join(f for f, _ in formats.most_common())
    report.family = analysis.family
    rows = sum(len(s.rows) for s, _ in used) or 1
    report.confidence = round(sum(d.confidence * len(s.rows) for s, d in used) / rows, 3)
    if len(used) > EVIDENCE_FILES:  # a big folder: a tally, then the first files' evidence
        tally = Counter(str(d.format) for _, d in used)
        report.evidence = [f"{len(used)} files: " + ", ".join(f"{f} ({n})" for f, n in tally.most_common())]
        used = used[:EVIDENCE_FILES]
    many = len(found) > 1
    report.evidence += [f"{s.path}: {e}" if many else e for s, d in used for e in d.evidence]


def _measure(analysis: TextAnalysis, max_len: int | None) -> None:
    """Token lengths, duplicate keys and over-length warnings."""
    analysis.lengths = analysis.counter.lengths(analysis.texts)
    if analysis.family in (DataFamily.CHAT, DataFamily.TEXT):  # the rendered text is the whole record
        analysis.keys = [text_key(t) for t in analysis.texts]
    else:
        analysis.keys = [content_key(r) for r in analysis.records]
    analysis.repeats = exact_duplicates(analysis.keys)
    distinct = (r for i, r in enumerate(analysis.records) if i not in analysis.repeats)
    analysis.report.preview = [r for _, r in zip(range(PREVIEW), distinct, strict=False)]
    problems, origins = analysis.report.problems, analysis.origins
    for index, original in analysis.repeats.items():
        problems.append(
            origins[index].problem(
                f"duplicate of {origins[original].where()}",
                warning=True,
                hint="prepare removes exact duplicates (unless dedupe=False)",
            )
        )
    if max_len:
        for index, length in enumerate(analysis.lengths):
            if length > max_len:
                problems.append(
                    origins[index].problem(
                        f"{length} tokens, longer than the context length {max_len}",
                        warning=True,
                        hint="--fix truncate shortens it, --fix drop removes it, or raise max_len",
                    )
                )


def require_records(analysis: TextAnalysis) -> None:
    """Raise a DataError when nothing usable was found."""
    if analysis.family is None or not analysis.records:
        first = next(iter(analysis.report.errors), None)
        reason = f"{first.located()}: {first.message}" if first else "no usable records"
        raise DataError(f"{analysis.report.path}: no usable records ({reason})", analysis.report)
