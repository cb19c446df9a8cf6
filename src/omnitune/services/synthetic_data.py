"""Synthetic training data: a generator model writes records from a description and seed examples.

Every record the generator answers is parsed and validated with the data layer's own converters
(the ones `data inspect` uses), invalid ones are dropped and counted, duplicates (of each other or
of a seed example) are dropped and counted, and what is left is saved as a JSONL dataset.
Generators are the judge specs of `omnitune eval`: ``openai:MODEL@URL``, ``anthropic:MODEL[@URL]``,
``local:PATH``.
"""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from omnitune.data.converters import CONVERTERS
from omnitune.data.dedupe import content_key
from omnitune.data.formats import matching_format
from omnitune.data.report import InspectionReport
from omnitune.services.datasets import DatasetUpload, save_upload
from omnitune.services.users import UserRecord

BATCH = 5  # records asked for per call: small enough for a generator's reply limit
REPLY_TOKENS = 512  # new tokens a local generator may write per call (remote judges ask for 512 too)
_FENCE = re.compile(r"^```[\w-]*\s*$")
_MAX_PROBLEMS = 10


class SyntheticFormat(StrEnum):
    """The record layouts a generator may be asked for."""

    CHAT = "chat"  # {"messages": [{role, content}, ...]}
    QA = "qa"  # {"prompt", "completion"}


_LAYOUT = {
    SyntheticFormat.CHAT: (
        "openai",
        '{"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}',
    ),
    SyntheticFormat.QA: ("prompt_completion", '{"prompt": "...", "completion": "..."}'),
}


class SyntheticDataError(ValueError):
    """The generator gave nothing usable; ``field`` names the request field to change."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class SynthesisOutcome:
    """What the generator produced and what survived validation and deduplication."""

    records: list[dict[str, Any]] = field(default_factory=list)
    generated: int = 0
    invalid: int = 0
    duplicates: int = 0
    calls: int = 0
    problems: list[str] = field(default_factory=list)


class SyntheticDataset(BaseModel):
    """A saved synthetic dataset: where it is, the honest counts, and its inspection report."""

    dataset: DatasetUpload
    requested: int
    generated: int
    invalid: int
    duplicates: int
    kept: int
    calls: int
    problems: list[str]
    report: InspectionReport


def generator_from_spec(spec: str, api_key: str | None = None) -> Any:
    """A generator client for a judge spec (its key: ``api_key``, else the judge's environment variables)."""
    from omnitune.evaluate.judge import LocalModelJudge, judge_from_spec

    kind, _, path = spec.partition(":")
    try:
        if kind == "local" and path:  # a judge's 64 new tokens cannot hold a batch of records
            return LocalModelJudge(path, max_new_tokens=REPLY_TOKENS)
        return judge_from_spec(spec, api_key=api_key)
    except ValueError as exc:
        raise SyntheticDataError("generator", str(exc).replace("judge", "generator")) from None


def generator_for_user(user: UserRecord, spec: str) -> Any:
    """A remote generator with the user's vault key (OPENAI_API_KEY / ANTHROPIC_API_KEY); no local paths."""
    from omnitune.services.vault import Credential, reveal

    kind = spec.partition(":")[0]
    if kind not in ("openai", "anthropic"):
        raise SyntheticDataError(
            "generator",
            f"generator {spec!r}: through the studio use openai:MODEL@BASE_URL (e.g. a version you "
            "deployed with POST /deploy) or anthropic:MODEL; local:PATH runs from the CLI "
            "(`omnitune data synthesize --generator local:PATH`)",
        )
    name = Credential.OPENAI_API_KEY if kind == "openai" else Credential.ANTHROPIC_API_KEY
    return generator_from_spec(spec, api_key=reveal(user.id, name))


def generate_records(
    generator: Any,
    description: str,
    count: int,
    fmt: SyntheticFormat = SyntheticFormat.CHAT,
    examples: list[dict[str, Any]] | None = None,
) -> SynthesisOutcome:
    """Ask ``generator`` for ``count`` valid, distinct records (at most twice the calls needed)."""
    seen = {content_key(_seed(e, i, fmt)) for i, e in enumerate(examples or [])}
    outcome = SynthesisOutcome()
    for attempt in range(2 * math.ceil(count / BATCH)):
        if len(outcome.records) >= count:
            break
        wanted = min(BATCH, count - len(outcome.records))
        reply = _ask(generator, description, wanted, fmt, examples or [], outcome.records, attempt)
        outcome.calls += 1
        _collect(reply, fmt, outcome, seen, count)
    return outcome


def validate_record(record: Any, fmt: SyntheticFormat) -> dict[str, Any]:
    """The record in its stored form, or ValueError saying what is wrong (the data layer's checks)."""
    layout, example = _LAYOUT[fmt]
    if not isinstance(record, dict) or matching_format(record) != layout:
        raise ValueError(f"not in the {fmt.value} layout {example}")
    normalised = CONVERTERS[layout][1](record)
    if fmt is SyntheticFormat.CHAT:
        return normalised
    prompt, completion = record.get("prompt"), record.get("completion")
    if not (
        isinstance(prompt, str) and prompt.strip() and isinstance(completion, str) and completion.strip()
    ):
        raise ValueError("prompt and completion must be non-empty strings")
    return {"prompt": prompt, "completion": completion}


def _seed(example: Any, index: int, fmt: SyntheticFormat) -> dict[str, Any]:
    try:
        return validate_record(example, fmt)
    except ValueError as exc:
        raise SyntheticDataError(f"examples.{index}", f"examples[{index}]: {exc}") from None


def synthesize_for_user(
    user: UserRecord,
    generator: Any,
    description: str,
    count: int,
    fmt: SyntheticFormat = SyntheticFormat.CHAT,
    examples: list[dict[str, Any]] | None = None,
    name: str = "synthetic",
) -> SyntheticDataset:
    """Generate, validate, deduplicate and save as one of the user's datasets (422 if none was valid)."""
    outcome = generate_records(generator, description, count, fmt, examples)
    if not outcome.records:
        raise SyntheticDataError("generator", _nothing_valid(generator, outcome))
    upload = save_upload(user, f"{name}.jsonl", io.BytesIO(to_jsonl(outcome.records).encode()))
    return _result(upload, count, outcome)


def to_jsonl(records: list[dict[str, Any]]) -> str:
    """Records as JSON Lines."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _nothing_valid(generator: Any, outcome: SynthesisOutcome) -> str:
    seen = "; ".join(outcome.problems[:3]) or "empty replies"
    return (
        f"generator {generator.name} gave no valid record in {outcome.calls} call(s) "
        f"({outcome.generated} answered, {outcome.invalid} invalid, "
        f"{outcome.duplicates} duplicates: {seen}); "
        "use a stronger generator model, add seed examples, or describe the records more precisely"
    )


def _result(upload: DatasetUpload, count: int, outcome: SynthesisOutcome) -> SyntheticDataset:
    from omnitune.data import inspect

    return SyntheticDataset(
        dataset=upload,
        requested=count,
        generated=outcome.generated,
        invalid=outcome.invalid,
        duplicates=outcome.duplicates,
        kept=len(outcome.records),
        calls=outcome.calls,
        problems=outcome.problems,
        report=inspect(Path(upload.path)),
    )


def _ask(
    generator: Any,
    description: str,
    wanted: int,
    fmt: SyntheticFormat,
    examples: list[dict[str, Any]],
    kept: list[dict[str, Any]],
    attempt: int,
) -> str:
    layout = _LAYOUT[fmt][1]
    system = (
        "You write training data for fine-tuning a language model. Answer with JSON Lines only: "
        "one JSON object per line, no numbering, no prose, no code fences."
    )
    parts = [
        f"Task: {description}",
        f"Write {wanted} new, varied records, each exactly in this layout:\n{layout}",
    ]
    if examples:
        parts.append("Examples of good records:\n" + to_jsonl(examples[:5]).strip())
    if kept:
        parts.append(f"Batch {attempt + 1}. Do not repeat these records:\n" + to_jsonl(kept[-10:]).strip())
    return str(generator.complete(system, "\n\n".join(parts)))


def _collect(
    reply: str, fmt: SyntheticFormat, outcome: SynthesisOutcome, seen: set[bytes], count: int
) -> None:
    for number, candidate in enumerate(_candidates(reply), start=1):
        if len(outcome.records) >= count:
            return
        outcome.generated += 1
        try:
            record = validate_record(json.loads(candidate) if isinstance(candidate, str) else candidate, fmt)
        except ValueError as exc:  # json.JSONDecodeError and the data layer's RecordError are ValueErrors
            outcome.invalid += 1
            _note(outcome, f"call {outcome.calls} line {number}: {exc}")
            continue
        key = content_key(record)
        if key in seen:
            outcome.duplicates += 1
            continue
        seen.add(key)
        outcome.records.append(record)


def _candidates(reply: str) -> list[Any]:
    """The reply's records: a whole JSON array, else one candidate per non-empty, non-fence line."""
    text = reply.strip()
    if text.startswith("["):
        try:
            whole = json.loads(text)
        except ValueError:
            whole = None
        if isinstance(whole, list):
            return whole
    return [line.strip() for line in text.splitlines() if line.strip() and not _FENCE.match(line.strip())]


def _note(outcome: SynthesisOutcome, problem: str) -> None:
    if len(outcome.problems) < _MAX_PROBLEMS:
        outcome.problems.append(problem[:300])
