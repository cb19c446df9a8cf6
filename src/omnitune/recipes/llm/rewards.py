"""Built-in reward functions for GRPO, chosen by name in a plan; no user code ever runs.

Each function follows trl's reward-function signature: it gets the batch's ``completions`` (text
or a list of chat messages) plus dataset columns as keyword arguments (``reference`` here) and
returns one float per completion. Options (a regex, a target length) come from hyperparameters.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from functools import partial
from typing import Any

RewardFn = Callable[..., list[float]]
_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+")


def completion_text(completion: Any) -> str:
    """The text of one completion, whether plain text or a list of chat messages."""
    if isinstance(completion, str):
        return completion
    return "".join(str(m.get("content", "")) for m in completion if isinstance(m, dict))


def normalise(text: str) -> str:
    """Casefolded, whitespace-collapsed, without surrounding punctuation: how answers are compared."""
    return " ".join(text.casefold().split()).strip(string.punctuation + " ")


def last_number(text: str) -> float | None:
    """The last number written in ``text`` (commas as thousands separators), or None."""
    found = _NUMBER.findall(text)
    if not found:
        return None
    try:
        return float(found[-1].replace(",", ""))
    except ValueError:
        return None


def exact_match(completions: list[Any], reference: list[str], **_: Any) -> list[float]:
    """1.0 when the completion equals the reference answer after normalisation, else 0.0."""
    return [
        float(normalise(completion_text(c)) == normalise(str(r)))
        for c, r in zip(completions, reference, strict=True)
    ]


def contains_answer(completions: list[Any], reference: list[str], **_: Any) -> list[float]:
    """1.0 when the normalised reference appears inside the completion, else 0.0."""
    return [
        float(normalise(str(r)) in normalise(completion_text(c)))
        for c, r in zip(completions, reference, strict=True)
    ]


def numeric_match(
    completions: list[Any], reference: list[str], tolerance: float = 1e-6, **_: Any
) -> list[float]:
    """1.0 when the completion's last number equals the reference's (within ``tolerance``)."""
    scores = []
    for completion, ref in zip(completions, reference, strict=True):
        got, want = last_number(completion_text(completion)), last_number(str(ref))
        scores.append(float(got is not None and want is not None and abs(got - want) <= tolerance))
    return scores


def format_match(completions: list[Any], pattern: re.Pattern[str], **_: Any) -> list[float]:
    """1.0 when the whole completion (stripped) matches the plan's ``format_regex``, else 0.0."""
    return [float(pattern.fullmatch(completion_text(c).strip()) is not None) for c in completions]


def length_reward(completions: list[Any], target_chars: int, **_: Any) -> list[float]:
    """1.0 at ``target_length`` characters, falling linearly to 0.0 at zero or twice the target."""
    return [max(0.0, 1.0 - abs(len(completion_text(c)) - target_chars) / target_chars) for c in completions]


NEEDS_REFERENCE = frozenset({"exact_match", "contains_answer", "numeric_match"})
REWARD_NAMES = ("exact_match", "contains_answer", "numeric_match", "format", "length")


def build_rewards(names: list[str], hp: dict[str, Any]) -> list[RewardFn]:
    """The reward functions named in the plan, configured from hyperparameters."""
    unknown = [name for name in names if name not in REWARD_NAMES]
    if unknown or not names:
        raise ValueError(f"rewards {unknown or names!r}: choose from {', '.join(REWARD_NAMES)}")
    return [_build(name, hp) for name in names]


def _build(name: str, hp: dict[str, Any]) -> RewardFn:
    if name == "format":
        regex = hp.get("format_regex")
        if not regex:
            raise ValueError("reward 'format' needs hyperparameter format_regex, e.g. '<answer>.*</answer>'")
        try:
            pattern = re.compile(str(regex), re.DOTALL)
        except re.error as exc:
            raise ValueError(f"hyperparameter format_regex {regex!r} is not a valid regex: {exc}") from exc
        return _named(partial(format_match, pattern=pattern), name)
    if name == "length":
        target = int(hp.get("target_length", 200))
        if target <= 0:
            raise ValueError(f"hyperparameter target_length must be positive; got {target}")
        return _named(partial(length_reward, target_chars=target), name)
    if name == "numeric_match":
        return _named(partial(numeric_match, tolerance=float(hp.get("numeric_tolerance", 1e-6))), name)
    return {"exact_match": exact_match, "contains_answer": contains_answer}[name]


def _named(fn: partial[list[float]], name: str) -> RewardFn:
    # trl names each reward's logged metrics after the function's __name__.
    fn.__name__ = name  # type: ignore[attr-defined]
    return fn
