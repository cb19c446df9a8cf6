"""Chat messages: normalise each message and check the conversation's shape, naming the bad field."""

from __future__ import annotations

from typing import Any

ROLES = frozenset({"system", "user", "assistant", "tool"})


class RecordError(ValueError):
    """One record cannot be used; ``field`` names where, ``hint`` says how to fix it."""

    def __init__(self, field: str | None, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.hint = hint


def text_of(value: Any, field: str) -> str:
    """A message content as a string; OpenAI-style lists of text parts are joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(p, dict) for p in value):
        if any(p.get("type", "text") != "text" for p in value):
            raise RecordError(
                field,
                "non-text content parts (images/audio) in text data",
                "use a vision-language plan (modality multimodal) for mixed content",
            )
        return "".join(str(p.get("text", "")) for p in value)
    raise RecordError(
        field, f"expected a string, found {type(value).__name__}", "make the value a JSON string"
    )


def message(role: str, content: str) -> dict[str, Any]:
    """A normalised message."""
    return {"role": role, "content": content}


def _plain(raw: Any) -> bool:
    """True for an already normal {"role", "content"} message (the common case, checked cheaply)."""
    if type(raw) is not dict or len(raw) != 2:
        return False
    content = raw.get("content")
    return raw.get("role") in ROLES and type(content) is str and bool(content) and not content.isspace()


def normalise_message(raw: Any, field: str) -> dict[str, Any]:
    """One message as {"role", "content"[, "tool_calls", "name", "tool_call_id"]}."""
    if _plain(raw):
        return raw  # type: ignore[no-any-return]
    if not isinstance(raw, dict):
        raise RecordError(
            field,
            f"expected a message object, found {type(raw).__name__}",
            'use {"role": "user", "content": "..."}',
        )
    role = raw.get("role")
    if role not in ROLES:
        raise RecordError(
            f"{field}.role",
            f"unknown role {role!r}",
            "roles are system, user, assistant, tool (map others with --map or fix the data)",
        )
    tool_calls = raw.get("tool_calls")
    content = raw.get("content")
    if content is None and tool_calls:
        content = ""
    elif content is None:
        raise RecordError(f"{field}.content", "missing content", "add a non-empty 'content' string")
    out = message(role, text_of(content, f"{field}.content"))
    if tool_calls:
        if role != "assistant" or not isinstance(tool_calls, list):
            raise RecordError(f"{field}.tool_calls", "tool_calls must be a list on an assistant message")
        out["tool_calls"] = tool_calls
    elif not out["content"].strip():
        raise RecordError(f"{field}.content", f"empty {role} message", "remove the message or fill it in")
    for key in ("name", "tool_call_id"):
        if raw.get(key) is not None:
            out[key] = raw[key]
    return out


_ALLOWED_AFTER = {
    "system": (None,),
    "user": (None, "system", "assistant", "tool"),
    "assistant": ("user", "tool"),
    "tool": ("assistant", "tool"),
}


def _check_order(msgs: list[dict[str, Any]], field: str, start: str | None) -> None:
    previous = start
    for index, msg in enumerate(msgs):
        role = msg["role"]
        if previous not in _ALLOWED_AFTER[role] or (
            role == "tool" and previous == "assistant" and "tool_calls" not in msgs[index - 1]
        ):
            after = f"after {previous}" if previous else "at the start"
            raise RecordError(
                f"{field}[{index}].role",
                f"roles out of order: {role} {after}",
                "turns go [system], user, assistant, user, ...; tool follows an assistant "
                "tool call; merge or remove the stray message",
            )
        previous = role


def conversation(
    raw: Any, field: str, *, need_assistant: bool = True, start: str | None = None
) -> list[dict[str, Any]]:
    """Normalise and check a list of messages; ``start`` is the role that precedes it (for completions)."""
    if raw is None:
        raise RecordError(field, f"missing '{field}'", f"add '{field}' as a list of messages")
    if not isinstance(raw, list):
        raise RecordError(field, f"expected a list of messages, found {type(raw).__name__}")
    if not raw:
        raise RecordError(field, "empty conversation", "remove the record or add its messages")
    msgs = [m if _plain(m) else normalise_message(m, f"{field}[{i}]") for i, m in enumerate(raw)]
    _check_order(msgs, field, start)
    if need_assistant and not any(m["role"] == "assistant" for m in msgs):
        raise RecordError(field, "no assistant message to learn from", "add the assistant's reply")
    return msgs


def as_messages(value: Any, field: str, role: str) -> list[dict[str, Any]]:
    """A string (one ``role`` message) or an already structured list of messages, normalised."""
    if isinstance(value, str):
        if not value.strip():
            raise RecordError(field, "empty value", "fill it in or drop the record")
        return [message(role, value)]
    if value is None:
        raise RecordError(field, "missing value", f"add '{field}'")
    start = "user" if role == "assistant" else None
    return conversation(value, field, need_assistant=role == "assistant", start=start)
