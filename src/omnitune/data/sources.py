"""Where text data comes from: a file, a folder of files, or a Hugging Face dataset id."""

from __future__ import annotations

import os
import re
from pathlib import Path

from omnitune.data import readers
from omnitune.data.errors import DataError
from omnitune.data.report import Problem
from omnitune.data.rows import Row, SourceFile

TEXT_SUFFIXES = {".jsonl", ".json", ".csv", ".tsv", ".parquet", ".txt", ".md"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
# Files a prepared dataset or tooling leaves beside data; never records.
_IGNORED_NAMES = {"manifest.json", "report.json", "dataset_info.json", "state.json", "dataset_dict.json"}


def read_file(path: Path, name: str | None = None) -> SourceFile:
    """Read one text data file by its suffix (the file is only read, never modified)."""
    name = name or str(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return readers.read_parquet(path, name)
    try:
        data = path.read_bytes()
    except OSError as err:
        source = SourceFile(name, suffix.lstrip("."))
        source.problems.append(
            Problem(
                file=name,
                message=f"cannot read file: {err.strerror}",
                hint="check the path and its permissions",
            )
        )
        return source
    if suffix == ".jsonl":
        return readers.read_jsonl(data, name)
    if suffix == ".json":
        return readers.read_json(data, name)
    if suffix in (".csv", ".tsv"):
        return readers.read_delimited(data, name, "\t" if suffix == ".tsv" else ",")
    return readers.read_corpus(data, name, whole_file=suffix == ".md")


def list_data_files(folder: Path) -> tuple[list[Path], list[Problem]]:
    """The text data files under a folder (recursive, sorted) and warnings for files skipped."""
    files, skipped = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or path.name in _IGNORED_NAMES:
            continue
        if path.suffix.lower() in TEXT_SUFFIXES:
            files.append(path)
        else:
            skipped.append(
                Problem(
                    file=str(path),
                    message=f"skipped: {path.suffix or 'no'} extension is not a text data format",
                    hint="supported: " + ", ".join(sorted(TEXT_SUFFIXES)),
                    severity="warning",
                )
            )
    return files, skipped


def looks_like_hub_id(path: str) -> bool:
    """True when a path that does not exist locally could be a Hub dataset id ('owner/name')."""
    return not Path(path).exists() and bool(_HUB_ID.match(path)) and "/" in path


def hub_offline() -> bool:
    """True when the Hub must not be contacted (HF_HUB_OFFLINE=1 or omnitune's offline setting)."""
    from omnitune.settings import get_settings

    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes") or get_settings().offline


def read_hub(dataset_id: str, split: str = "train") -> SourceFile:
    """Load a Hugging Face dataset split when online; refuse clearly when offline."""
    if hub_offline():
        raise DataError(
            f"{dataset_id!r} is not a local path, and loading Hugging Face datasets is disabled offline. "
            "To download it, set OMNITUNE_OFFLINE=false and unset HF_HUB_OFFLINE; or download it "
            "elsewhere and point omnitune at the local JSONL/Parquet files."
        )
    try:
        import datasets

        table = datasets.load_dataset(dataset_id, split=split)
    except Exception as err:  # the Hub raises many types: missing repo, no split, network
        raise DataError(
            f"could not load Hugging Face dataset {dataset_id!r} (split {split!r}): {err}"
        ) from err
    name = f"hf://{dataset_id}"
    source = SourceFile(name, "hub")
    source.rows = [Row(dict(r), name, row=i) for i, r in enumerate(table)]
    return source


def read_sources(path: str | Path) -> tuple[list[SourceFile], list[Problem]]:
    """All text sources at ``path`` plus folder-level problems; DataError when nothing can be read."""
    location = Path(path)
    if location.is_file():
        if location.suffix.lower() not in TEXT_SUFFIXES:
            raise DataError(
                f"{location}: {location.suffix or 'no'} extension is not a text data format; "
                f"use one of {', '.join(sorted(TEXT_SUFFIXES))}"
            )
        return [read_file(location)], []
    if location.is_dir():
        files, skipped = list_data_files(location)
        if not files:
            raise DataError(
                f"{location}: no data files found (looked for {', '.join(sorted(TEXT_SUFFIXES))})"
            )
        return [read_file(f) for f in files], skipped
    if looks_like_hub_id(str(path)):
        return [read_hub(str(path))], []
    raise DataError(f"{path}: no such file or folder (and not a Hugging Face dataset id like 'owner/name')")
