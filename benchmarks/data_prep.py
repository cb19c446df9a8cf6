"""(6) Data preparation: records/s of omnitune.data.prepare on chat records, plus packing efficiency.

prepare = detection + validation + normalisation + token counting + split + write; packing is
best-fit decreasing of the token lengths into 1024-token rows.
Run: .venv/bin/python -m benchmarks.run --only data_prep
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, Figure, Profile
from benchmarks.fixtures import Workspace

TARGET_PACKING = 0.95
BLOCK = 1024


def run(profile: Profile, ws: Workspace, shared: dict[str, Any]) -> BenchResult:
    """Prepare ``prep_records`` fresh records with the workspace's tokenizer; pack their lengths."""
    from transformers import AutoTokenizer

    from omnitune.data import pack_sequences, packing_efficiency, prepare
    from omnitune.data.bench import write_chat_jsonl

    tokenizer = AutoTokenizer.from_pretrained(ws.model_dir)
    with tempfile.TemporaryDirectory(dir=ws.root) as tmp:
        raw = write_chat_jsonl(Path(tmp) / "chat.jsonl", profile.prep_records, seed=1)
        start, cpu = time.perf_counter(), time.process_time()
        prepare(raw, Path(tmp) / "out", tokenizer=tokenizer, max_len=BLOCK)
        seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
        rows = (Path(tmp) / "out" / "train.jsonl").read_text(encoding="utf-8").splitlines()
        pack_start = time.perf_counter()
        texts = [tokenizer.apply_chat_template(json.loads(r)["messages"], tokenize=False) for r in rows]
        lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
        bins = pack_sequences(lengths, BLOCK)
        pack_s = time.perf_counter() - pack_start
    efficiency = packing_efficiency(lengths, bins, BLOCK)
    return BenchResult(
        name="data_prep",
        title=f"Data preparation of {profile.prep_records} chat records",
        figures=[
            Figure("prepare records/s", round(profile.prep_records / seconds), "rec/s"),
            Figure("prepare records/CPU-s", round(profile.prep_records / max(cpu_s, 1e-9)), "rec/s"),
            Figure("tokenise + pack records/s", round(len(rows) / pack_s), "rec/s"),
            Figure("packing efficiency", round(efficiency, 4), "", TARGET_PACKING),
        ],
        details={
            "records": profile.prep_records,
            "seconds": seconds,
            "cpu_seconds": cpu_s,
            "rows": len(bins),
            "block": BLOCK,
        },
    )
