"""Sentence-embedding pairs ({"anchor", "positive"}) are a data format the contrastive method reads."""

from __future__ import annotations

import json
from pathlib import Path

from omnitune.data import family_for_method, prepare
from omnitune.data.formats import detect_format
from omnitune.types import DataFamily, Method, Modality


def test_pairs_are_detected_and_contrastive_reads_them(tmp_path: Path) -> None:
    rows = [{"anchor": f"question about topic {i}", "positive": f"answer on topic {i}"} for i in range(10)]
    assert detect_format(rows).family is DataFamily.PAIRS
    assert family_for_method(Method.CONTRASTIVE, Modality.LLM) is DataFamily.PAIRS
    source = tmp_path / "pairs.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    manifest = prepare(source, tmp_path / "out", family="pairs", max_len=4, fix=("truncate",))
    assert manifest.family is DataFamily.PAIRS and manifest.source_format == "pairs"
    first = json.loads((tmp_path / "out" / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"anchor", "positive"} and first["anchor"]
