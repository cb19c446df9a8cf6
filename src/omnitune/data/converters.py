"""One converter per input format, each to its family's normalised record (see omnitune.types.DataFamily)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from omnitune.data.messages import RecordError, as_messages, conversation, message
from omnitune.types import DataFamily

Converter = Callable[[dict[str, Any]], dict[str, Any]]

_SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "model": "assistant",
    "system": "system",
    "tool": "tool",
    "function_response": "tool",
    "observation": "tool",
}
_TRUE = {"true", "1", "yes", "y", "t", "good", "desirable"}
_FALSE = {"false", "0", "no", "n", "f", "bad", "undesirable"}


def _str(record: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(key, f"missing or empty '{key}'", f"fill in '{key}' or drop the record")
        return ""
    if not isinstance(value, str):
        raise RecordError(key, f"expected a string, found {type(value).__name__}", "make the value a string")
    return value


def _maybe_json(value: Any) -> Any:
    """Tables store message lists as JSON text; decode those, leave everything else alone."""
    if isinstance(value, str) and value.lstrip().startswith("[{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def from_openai(record: dict[str, Any]) -> dict[str, Any]:
    """{"messages": [{"role", "content"}...]} (system and tool calls included)."""
    return {"messages": conversation(_maybe_json(record.get("messages")), "messages")}


def from_sharegpt(record: dict[str, Any]) -> dict[str, Any]:
    """{"conversations": [{"from": "human"|"gpt"|..., "value"}...]} plus an optional "system"."""
    key = "messages" if "messages" in record and "conversations" not in record else "conversations"
    turns = _maybe_json(record.get(key))
    if not isinstance(turns, list):
        raise RecordError(key, f"expected a list of turns, found {type(turns).__name__}")
    raw = [{"role": "system", "content": record["system"]}] if record.get("system") else []
    for index, turn in enumerate(turns):
        who = turn.get("from") if isinstance(turn, dict) else turn
        if who == "function_call":
            raw.append(_sharegpt_tool_call(turn.get("value"), f"{key}[{index}].value"))
        elif who in _SHAREGPT_ROLES:
            raw.append({"role": _SHAREGPT_ROLES[who], "content": turn.get("value")})
        else:
            raise RecordError(
                f"{key}[{index}].from",
                f"unknown speaker {who!r}",
                "use human/gpt/system/function_call/observation (or fix the data)",
            )
    return {"messages": conversation(raw, key)}


def _sharegpt_tool_call(value: Any, field: str) -> dict[str, Any]:
    """A ShareGPT 'function_call' turn (JSON {"name", "arguments"}) as an assistant tool call."""
    try:
        call = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        call = None
    if not isinstance(call, dict) or "name" not in call:
        raise RecordError(
            field,
            "function_call value is not a JSON object with a 'name'",
            'use {"name": "tool", "arguments": {...}}',
        )
    return {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": call}]}


def from_alpaca(record: dict[str, Any]) -> dict[str, Any]:
    """{"instruction", "input"?, "output", "system"?, "history"?: [[q, a], ...]}."""
    instruction = _str(record, "instruction")
    extra = _str(record, "input", required=False)
    output_key = "response" if "response" in record and "output" not in record else "output"
    msgs = [message("system", _str(record, "system"))] if record.get("system") else []
    history = record.get("history") or []
    if not isinstance(history, list) or not all(isinstance(h, list | tuple) and len(h) == 2 for h in history):
        raise RecordError("history", "history must be a list of [question, answer] pairs")
    for question, answer in history:
        msgs += [message("user", str(question)), message("assistant", str(answer))]
    msgs.append(message("user", f"{instruction}\n\n{extra}" if extra else instruction))
    msgs.append(message("assistant", _str(record, output_key)))
    return {"messages": msgs}


def from_prompt_completion(record: dict[str, Any]) -> dict[str, Any]:
    """{"prompt", "completion"|"response"} as strings or message lists."""
    key = "response" if "response" in record and "completion" not in record else "completion"
    prompt = as_messages(_maybe_json(record.get("prompt")), "prompt", "user")
    completion = as_messages(_maybe_json(record.get(key)), key, "assistant")
    return {"messages": prompt + completion}


def _label(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise RecordError("label", f"label {value!r} is not a boolean", "use true (desirable) or false")


def _implicit_prompt(chosen: list[dict[str, Any]], rejected: list[dict[str, Any]]) -> int:
    """Length of the shared prefix of two full conversations (the implicit prompt)."""
    n = 0
    while n < min(len(chosen), len(rejected)) and chosen[n] == rejected[n]:
        n += 1
    while n and chosen[n - 1]["role"] == "assistant":
        n -= 1
    return n


def from_preference(record: dict[str, Any]) -> dict[str, Any]:
    """{"prompt"?, "chosen", "rejected"}: strings or message lists, explicit or implicit prompt."""
    if record.get("prompt") is None:
        if not isinstance(_maybe_json(record.get("chosen")), list):
            raise RecordError(
                "prompt",
                "missing 'prompt'",
                "add the prompt, or give chosen/rejected as full conversations that share it",
            )
        chosen = conversation(_maybe_json(record.get("chosen")), "chosen")
        rejected = conversation(_maybe_json(record.get("rejected")), "rejected")
        n = _implicit_prompt(chosen, rejected)
        if n == 0:
            raise RecordError(
                "prompt", "no prompt, and chosen/rejected share no opening user turn", "add a 'prompt' field"
            )
        return {"prompt": chosen[:n], "chosen": chosen[n:], "rejected": rejected[n:]}
    prompt = as_messages(_maybe_json(record.get("prompt")), "prompt", "user")
    chosen = as_messages(_maybe_json(record.get("chosen")), "chosen", "assistant")
    rejected = as_messages(_maybe_json(record.get("rejected")), "rejected", "assistant")
    if chosen == rejected:
        raise RecordError("rejected", "chosen and rejected are identical", "a pair must differ; drop it")
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


def from_kto(record: dict[str, Any]) -> dict[str, Any]:
    """{"prompt", "completion", "label": bool} (unpaired preference)."""
    prompt = as_messages(_maybe_json(record.get("prompt")), "prompt", "user")
    completion = as_messages(_maybe_json(record.get("completion")), "completion", "assistant")
    return {"prompt": prompt, "completion": completion, "label": _label(record.get("label"))}


def from_classification(record: dict[str, Any]) -> dict[str, Any]:
    """{"text", "label"} with a string or integer label."""
    label = record.get("label")
    if label is None or (isinstance(label, str) and not label.strip()):
        raise RecordError("label", "missing or empty 'label'", "every example needs a class label")
    if isinstance(label, bool):
        label = str(label).lower()
    if not isinstance(label, str | int):
        raise RecordError("label", f"label must be a string or integer, found {type(label).__name__}")
    return {"text": _str(record, "text"), "label": str(label)}


def from_pairs(record: dict[str, Any]) -> dict[str, Any]:
    """{"anchor", "positive"} sentence pairs (an optional hard "negative" is kept)."""
    pair = {"anchor": _str(record, "anchor"), "positive": _str(record, "positive")}
    if record.get("negative"):
        pair["negative"] = _str(record, "negative")
    return pair


def from_text(record: dict[str, Any]) -> dict[str, Any]:
    """{"text"} (or "content"): raw text for (continued) pretraining."""
    return {"text": _str(record, "text" if "text" in record else "content")}


CONVERTERS: dict[str, tuple[DataFamily, Converter]] = {
    "openai": (DataFamily.CHAT, from_openai),
    "sharegpt": (DataFamily.CHAT, from_sharegpt),
    "alpaca": (DataFamily.CHAT, from_alpaca),
    "prompt_completion": (DataFamily.CHAT, from_prompt_completion),
    "preference": (DataFamily.PREFERENCE, from_preference),
    "kto": (DataFamily.UNPAIRED_PREFERENCE, from_kto),
    "classification": (DataFamily.CLASSIFICATION, from_classification),
    "pairs": (DataFamily.PAIRS, from_pairs),
    "text": (DataFamily.TEXT, from_text),
}
