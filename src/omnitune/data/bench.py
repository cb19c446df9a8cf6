"""Throughput of the text pipeline: detection, validation, normalisation and token statistics.

Run: .venv/bin/python -m omnitune.data.bench [N] [TOKENIZER_DIR]
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_TOPICS = ["rivers", "compilers", "bread", "orbits", "violins", "tax law", "glaciers", "chess", "ants", "SQL"]


def write_chat_jsonl(path: Path, n: int, seed: int = 0) -> Path:
    """``n`` distinct OpenAI-style chat records (a third with a system prompt, some multi-turn)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            topic = rng.choice(_TOPICS)
            msgs: list[dict[str, str]] = []
            if i % 3 == 0:
                msgs.append({"role": "system", "content": "You are a concise, friendly assistant."})
            for turn in range(1 + (i % 2)):
                msgs.append(
                    {"role": "user", "content": f"Question {i}.{turn}: tell me something about {topic}."}
                )
                words = " ".join(rng.choice(_TOPICS) for _ in range(rng.randint(8, 40)))
                msgs.append({"role": "assistant", "content": f"Here is a fact about {topic} ({i}): {words}."})
            handle.write(json.dumps({"messages": msgs}) + "\n")
    return path


def prepare_throughput(n: int = 100_000, tokenizer: Any = None) -> dict[str, Any]:
    """Records/s of `inspect_text` (read, detect, validate, normalise, count tokens) on ``n`` chats."""
    from omnitune.data.text import inspect_text
    from omnitune.data.tokens import load_tokenizer

    tokenizer = load_tokenizer(tokenizer)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_chat_jsonl(Path(tmp) / "chat.jsonl", n)
        start, cpu_start = time.perf_counter(), time.process_time()
        report = inspect_text(path, tokenizer=tokenizer)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {
        "records": report.stats["valid_records"],
        "seconds": round(seconds, 3),
        "records_per_s": round(n / seconds),
        "cpu_seconds": round(cpu, 3),  # the machine is shared: CPU time is the steadier figure
        "records_per_cpu_s": round(n / cpu),
        "tokenizer": report.stats["tokenizer"],
        "tokens": report.stats["tokens"]["total"],
        "errors": len(report.errors),
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(json.dumps(prepare_throughput(count, sys.argv[2] if len(sys.argv) > 2 else None)))
