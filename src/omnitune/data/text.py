"""Text (LLM) data end to end: `inspect_text` reports, `prepare_text` writes a prepared dataset."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from omnitune.data.analysis import TextAnalysis, analyse_text, require_records
from omnitune.data.dedupe import near_duplicates
from omnitune.data.errors import DataError
from omnitune.data.families import record_text, record_words
from omnitune.data.filters import quality_issue
from omnitune.data.language import language_mix
from omnitune.data.manifest import DatasetManifest, SplitInfo
from omnitune.data.output import new_digest, write_atomically, write_jsonl
from omnitune.data.packing import pack_sequences, packing_efficiency
from omnitune.data.report import InspectionReport
from omnitune.data.split import split_indices
from omnitune.data.stats import length_stats, summary
from omnitune.data.truncation import truncate_record
from omnitune.types import DataFamily, Modality

FIXES = frozenset({"drop", "dedupe", "truncate"})
NEAR_DUPLICATE_THRESHOLD = 0.85


def _stats(a: TextAnalysis, train: list[int], validation: list[int], max_len: int | None) -> dict[str, Any]:
    lengths = a.lengths
    stats: dict[str, Any] = {
        "valid_records": len(a.records),
        "invalid_records": len({(p.file, p.line, p.row) for p in a.report.errors}),
        "duplicates": len(a.repeats),
        "tokenizer": a.counter.name,
        "tokens": length_stats([lengths[i] for i in train + validation]),
        "tokens_per_epoch": sum(lengths[i] for i in train),
        "train_records": len(train),
        "validation_records": len(validation),
        "languages": language_mix([record_words(r) for r in a.records[:: max(1, len(a.records) // 300)]]),
    }
    if max_len:
        clipped = [min(lengths[i], max_len) for i in train]
        bins = pack_sequences(clipped, max_len)
        stats.update(
            max_len=max_len,
            packed_rows=len(bins),
            packing_efficiency=round(packing_efficiency(clipped, bins, max_len), 4),
        )
    return stats


def inspect_text(
    path: str | Path,
    *,
    column_map: dict[str, str] | None = None,
    tokenizer: Any = None,
    max_len: int | None = None,
    validation_fraction: float = 0.1,
    seed: int = 42,
    family: DataFamily | str | None = None,
) -> InspectionReport:
    """Detect, validate and measure text data (as ``family`` when given) without writing anything."""
    a = analyse_text(
        str(path), family=_family(family), column_map=column_map, tokenizer=tokenizer, max_len=max_len
    )
    unique = [i for i in range(len(a.records)) if i not in a.repeats]
    train, validation = split_indices([a.keys[i] for i in unique], validation_fraction, seed)
    a.report.stats = _stats(a, [unique[i] for i in train], [unique[i] for i in validation], max_len)
    return a.report


def _select(
    a: TextAnalysis,
    fix: Collection[str],
    dedupe: bool,
    max_len: int | None,
    min_tokens: int,
    quality_filter: bool,
) -> list[int]:
    """Indices of the records to keep; each removal is logged as a warning at its source."""
    drop = {i: f"duplicate of {a.origins[j].where()}" for i, j in a.repeats.items()} if dedupe else {}
    if "dedupe" in fix:
        alive = [i for i in range(len(a.records)) if i not in drop]
        near = near_duplicates([a.texts[i] for i in alive], NEAR_DUPLICATE_THRESHOLD)
        drop.update({alive[i]: f"near-duplicate of {a.origins[alive[j]].where()}" for i, j in near.items()})
    for i, length in enumerate(a.lengths):
        if i in drop:
            continue
        if length < min_tokens:
            drop[i] = f"{length} tokens, fewer than the minimum {min_tokens}"
        elif max_len and length > max_len and "truncate" not in fix and "drop" in fix:
            drop[i] = f"{length} tokens, longer than max_len {max_len}"
        elif quality_filter and (issue := quality_issue(a.texts[i])):
            drop[i] = f"low quality: {issue}"
    for i, reason in sorted(drop.items()):
        a.report.problems.append(a.origins[i].problem(f"dropped: {reason}", warning=True))
    return [i for i in range(len(a.records)) if i not in drop]


def _truncate(a: TextAnalysis, keep: list[int], max_len: int, tokenizer: Any) -> list[int]:
    assert a.family is not None
    kept = []
    for i in keep:
        if a.lengths[i] <= max_len:
            kept.append(i)
            continue
        short = truncate_record(a.records[i], a.family, max_len, a.counter, tokenizer)
        if short is None:
            a.report.problems.append(
                a.origins[i].problem("dropped: nothing trainable fits in max_len", warning=True)
            )
            continue
        a.records[i] = short
        a.texts[i] = record_text(short, a.family, tokenizer)
        a.lengths[i] = a.counter.lengths([a.texts[i]])[0]
        kept.append(i)
    return kept


def prepare_text(
    path: str | Path,
    out_dir: str | Path,
    *,
    family: DataFamily | str | None = None,
    column_map: dict[str, str] | None = None,
    validation_fraction: float = 0.1,
    seed: int = 42,
    fix: Collection[str] = (),
    tokenizer: Any = None,
    max_len: int | None = None,
    dedupe: bool = True,
    min_tokens: int = 1,
    quality_filter: bool = False,
    overwrite: bool = False,
) -> DatasetManifest:
    """Normalise text data into ``out_dir`` (train.jsonl, validation.jsonl, report.json, manifest.json)."""
    unknown = set(fix) - FIXES
    if unknown:
        raise DataError(
            f"unknown --fix option(s) {', '.join(sorted(unknown))}; choose from {', '.join(sorted(FIXES))}"
        )
    from omnitune.data.tokens import load_tokenizer

    tokenizer = load_tokenizer(tokenizer)
    a = analyse_text(
        str(path),
        family=_family(family),
        column_map=column_map,
        tokenizer=tokenizer,
        max_len=max_len,
    )
    require_records(a)
    errors = a.report.errors
    if errors and "drop" not in fix:
        listed = "; ".join(f"{p.located()}: {p.message}" for p in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise DataError(
            f"{len(errors)} problem(s) in {path}: {listed}{more}. Fix them, or pass --fix drop "
            "to leave those records out",
            a.report,
        )
    keep = _select(a, fix, dedupe, max_len, min_tokens, quality_filter)
    if max_len and "truncate" in fix:
        keep = _truncate(a, keep, max_len, tokenizer)
    if not keep:
        raise DataError(f"{path}: every record was filtered out; nothing to prepare", a.report)
    train, validation = split_indices([a.keys[i] for i in keep], validation_fraction, seed)
    train, validation = [keep[i] for i in train], [keep[i] for i in validation]
    a.report.stats = _stats(a, train, validation, max_len)
    return write_atomically(Path(out_dir), lambda tmp: _fill(tmp, a, train, validation, str(path)), overwrite)


def _family(family: DataFamily | str | None) -> DataFamily | None:
    try:
        return DataFamily(family) if family else None
    except ValueError:
        names = ", ".join(f.value for f in DataFamily)
        raise DataError(f"unknown data family {family!r}; choose from {names}") from None


def _fill(
    tmp: Path, a: TextAnalysis, train: list[int], validation: list[int], source: str
) -> DatasetManifest:
    assert a.family is not None and a.report.format is not None
    digest = new_digest()
    splits = {
        "train": SplitInfo(
            file="train.jsonl",
            records=write_jsonl(tmp / "train.jsonl", (a.records[i] for i in train), digest),
        )
    }
    if validation:
        count = write_jsonl(tmp / "validation.jsonl", (a.records[i] for i in validation), digest)
        splits["validation"] = SplitInfo(file="validation.jsonl", records=count)
    (tmp / "report.json").write_text(a.report.model_dump_json(indent=2), encoding="utf-8")
    return DatasetManifest(
        modality=Modality.LLM,
        family=a.family,
        source_format=a.report.format,
        source=source,
        content_hash=digest.hexdigest(),
        splits=splits,
        stats=summary(a.report.stats),
    )
