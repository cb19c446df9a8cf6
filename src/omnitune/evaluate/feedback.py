"""Ratings to preferences: each rated comparison row (A or B preferred) becomes a
``{"prompt", "chosen", "rejected"}`` record in conversational form, written as a prepared dataset of
family ``preference`` that the ``llm_preference`` recipe (DPO, IPO, ORPO, SimPO) trains on directly."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

from omnitune.data.manifest import DatasetManifest, SplitInfo
from omnitune.evaluate.compare import ComparedRow, Comparison
from omnitune.evaluate.judge import DEFAULT_RUBRIC, Judge, judge_answer
from omnitune.types import DataFamily, Modality


def apply_ratings(comparison: Comparison, ratings_file: Path) -> Comparison:
    """Mark rows preferred from a JSONL of ``{"row": i, "preferred": "a"|"b"|"tie"}`` lines."""
    for number, line in enumerate(Path(ratings_file).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        rating = json.loads(line)
        row, preferred = rating.get("row"), rating.get("preferred")
        if (
            not isinstance(row, int)
            or not 0 <= row < len(comparison.rows)
            or preferred not in ("a", "b", "tie")
        ):
            raise ValueError(
                f"{ratings_file}:{number}: expected {{'row': 0..{len(comparison.rows) - 1}, "
                f"'preferred': 'a'|'b'|'tie'}}, got {rating}"
            )
        comparison.rows[row].preferred = preferred
    return comparison


def rate_with_judge(comparison: Comparison, judge: Judge, rubric: str = DEFAULT_RUBRIC) -> Comparison:
    """Let a judge score both outputs of every row; the higher score is preferred (equal: tie)."""
    for row in comparison.rows:
        prompt = "\n".join(f"{m['role']}: {m['content']}" for m in row.messages)
        a = judge_answer(judge, prompt, row.output_a, row.reference, rubric).score
        b = judge_answer(judge, prompt, row.output_b, row.reference, rubric).score
        row.judge_a, row.judge_b = a, b
        row.preferred = "tie" if a == b else ("a" if a > b else "b")
    return comparison


def preference_records(comparison: Comparison) -> list[dict[str, Any]]:
    """One conversational preference record per row rated A or B (ties and unrated rows are skipped)."""
    records = []
    for row in comparison.rows:
        if row.preferred not in ("a", "b") or row.output_a == row.output_b:
            continue
        chosen, rejected = (
            (row.output_a, row.output_b) if row.preferred == "a" else (row.output_b, row.output_a)
        )
        records.append(_record(row, chosen, rejected))
    return records


def write_preference_dataset(
    records: list[dict[str, Any]],
    directory: Path,
    source: str,
    validation_fraction: float = 0.2,
    seed: int = 0,
) -> DatasetManifest:
    """Write train/validation JSONL and a ``preference`` manifest, as `omnitune data prepare` would."""
    if not records:
        raise ValueError(
            "no rated pairs: rate rows 'a' or 'b' (ties and identical outputs carry no preference)"
        )
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    held = int(len(shuffled) * validation_fraction) if len(shuffled) >= 5 else 0
    splits = {"train": shuffled[held:], **({"validation": shuffled[:held]} if held else {})}
    directory.mkdir(parents=True, exist_ok=True)
    infos = {}
    for name, rows in splits.items():
        (directory / f"{name}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
        )
        infos[name] = SplitInfo(file=f"{name}.jsonl", records=len(rows))
    digest = hashlib.sha256(json.dumps(splits, sort_keys=True).encode()).hexdigest()
    manifest = DatasetManifest(
        modality=Modality.LLM,
        family=DataFamily.PREFERENCE,
        source_format="ratings",
        source=source,
        content_hash=digest,
        splits=infos,
    )
    manifest.write(directory)
    return manifest


def _record(row: ComparedRow, chosen: str, rejected: str) -> dict[str, Any]:
    return {
        "prompt": row.messages,
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
    }
