"""Evaluation examples read from a prepared dataset, a JSONL file, or a plain list of prompts.

Accepted record shapes: chat (``messages``, the last assistant turn is the reference), QA
(``prompt``/``question``/``instruction`` with ``answer``/``completion``/``response``/``output``),
classification (``text`` with ``label``) and plain text (``text``, for loss/perplexity only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnitune.data.manifest import MANIFEST_NAME, DatasetManifest

PROMPT_KEYS = ("prompt", "question", "instruction", "input")
ANSWER_KEYS = ("answer", "completion", "response", "output", "reference", "chosen")
EVAL_SPLITS = ("validation", "test", "train")


@dataclass
class EvalExample:
    """One held-out example: the chat to send, the reference reply (if any), or plain text."""

    messages: list[dict[str, str]] = field(default_factory=list)
    reference: str | None = None
    text: str | None = None  # plain text: scored by loss only
    label: str | None = None  # classification: the expected label


def load_examples(path: Path, limit: int | None = None) -> list[EvalExample]:
    """Examples from a prepared dataset dir (its eval split) or a JSONL/TXT file."""
    path = Path(path)
    if path.is_dir():
        path = _eval_split(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such evaluation data file or prepared dataset directory")
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        if path.suffix == ".txt":
            examples.append(EvalExample(messages=[{"role": "user", "content": line.strip()}]))
        else:
            examples.append(example_from_record(_parse(line, path, number), f"{path}:{number}"))
        if limit is not None and len(examples) >= limit:
            break
    if not examples:
        raise ValueError(f"{path}: no records to evaluate on")
    return examples


def example_from_record(record: dict[str, Any], where: str) -> EvalExample:
    """Turn one record into an example, naming ``where`` when its shape is unknown."""
    if isinstance(record.get("messages"), list):
        return _from_messages(record["messages"], where)
    prompt = next((record[k] for k in PROMPT_KEYS if isinstance(record.get(k), str | list)), None)
    answer = next((record[k] for k in ANSWER_KEYS if k in record), None)
    if prompt is not None:
        messages = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
        return EvalExample(messages=list(messages), reference=_text_of(answer))
    if isinstance(record.get("text"), str) and "label" in record:
        label = str(record["label"])
        return EvalExample(
            messages=[{"role": "user", "content": record["text"]}], reference=label, label=label
        )
    if isinstance(record.get("text"), str):
        return EvalExample(text=record["text"])
    raise ValueError(
        f"{where}: record has none of messages / prompt+answer / text(+label); keys: {sorted(record)}"
    )


def _from_messages(messages: list[dict[str, str]], where: str) -> EvalExample:
    last = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=None)
    if last is None:
        return EvalExample(messages=list(messages))
    if last == 0:
        raise ValueError(f"{where}: the assistant turn has no prompt before it")
    return EvalExample(messages=list(messages[:last]), reference=str(messages[last].get("content", "")))


def _text_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):  # a conversational answer: the assistant turn(s)
        return "".join(str(m.get("content", "")) for m in value if isinstance(m, dict))
    return str(value)


def _eval_split(directory: Path) -> Path:
    if not (directory / MANIFEST_NAME).is_file():
        raise FileNotFoundError(f"{directory}: no {MANIFEST_NAME}; give a JSONL file or a prepared dataset")
    manifest = DatasetManifest.read(directory)
    for split in EVAL_SPLITS:
        if split in manifest.splits:
            return directory / manifest.splits[split].file
    raise ValueError(f"{directory}/{MANIFEST_NAME}: no validation, test or train split")


def _parse(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg}); one JSON object per line") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
    return record
