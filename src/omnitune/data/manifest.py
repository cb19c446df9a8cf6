"""The manifest of a prepared dataset: what a recipe reads and what lineage records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from omnitune.types import DataFamily, Modality

MANIFEST_NAME = "manifest.json"


class SplitInfo(BaseModel):
    """One split of a prepared dataset."""

    file: str = Field(..., description="JSONL file relative to the dataset directory.")
    records: int


class DatasetManifest(BaseModel):
    """Written last by ``data prepare``: a directory without it is not a prepared dataset."""

    modality: Modality
    family: DataFamily
    source_format: str = Field(..., description="Detected or declared input format, e.g. 'sharegpt'.")
    source: str = Field(..., description="The path or Hub id the data came from.")
    content_hash: str = Field(..., description="sha256 over the normalised records, for lineage.")
    splits: dict[str, SplitInfo]
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    stats: dict[str, float | int | str] = Field(default_factory=dict)

    def write(self, directory: Path) -> Path:
        """Write atomically (temp file then rename), so a half-written manifest never exists."""
        path = directory / MANIFEST_NAME
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def read(cls, directory: Path) -> DatasetManifest:
        """Read a prepared dataset's manifest, with a clear error when it is missing."""
        path = Path(directory) / MANIFEST_NAME
        if not path.is_file():
            raise FileNotFoundError(
                f"{directory}: no {MANIFEST_NAME}; not a prepared dataset "
                "(run `omnitune data prepare PATH --out DIR` first)"
            )
        return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
