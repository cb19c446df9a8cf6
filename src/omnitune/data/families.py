"""Which data family a training method reads, and adapting records from one family to another."""

from __future__ import annotations

from typing import Any

from omnitune.data.chat_template import render_chat
from omnitune.types import DataFamily, Method, Modality

_METHOD_FAMILY = {
    Method.DPO: DataFamily.PREFERENCE,
    Method.IPO: DataFamily.PREFERENCE,
    Method.ORPO: DataFamily.PREFERENCE,
    Method.SIMPO: DataFamily.PREFERENCE,
    Method.REWARD_MODELING: DataFamily.PREFERENCE,
    Method.KTO: DataFamily.UNPAIRED_PREFERENCE,
    Method.PRETRAINING: DataFamily.TEXT,
    Method.CONTINUED_PRETRAINING: DataFamily.TEXT,
    Method.CLASSIFICATION: DataFamily.CLASSIFICATION,
    Method.CONTRASTIVE: DataFamily.PAIRS,
}
_MEDIA_FAMILY = {
    Modality.IMAGE: DataFamily.IMAGE,
    Modality.AUDIO: DataFamily.AUDIO,
    Modality.VIDEO: DataFamily.VIDEO,
}

# source family -> families its records can be turned into (besides itself)
ADAPTABLE: dict[DataFamily, set[DataFamily]] = {
    DataFamily.PREFERENCE: {DataFamily.CHAT, DataFamily.UNPAIRED_PREFERENCE, DataFamily.TEXT},
    DataFamily.UNPAIRED_PREFERENCE: {DataFamily.CHAT, DataFamily.TEXT},
    DataFamily.CHAT: {DataFamily.TEXT},
    DataFamily.CLASSIFICATION: {DataFamily.TEXT},
}


def family_for_method(method: Method | str, modality: Modality | str | None = None) -> DataFamily:
    """The normalised family a method trains on (media modalities read their own family)."""
    if modality is not None and Modality(modality) in _MEDIA_FAMILY:
        return _MEDIA_FAMILY[Modality(modality)]
    return _METHOD_FAMILY.get(Method(method), DataFamily.CHAT)


def can_adapt(source: DataFamily, target: DataFamily) -> bool:
    """True when records of ``source`` can be turned into ``target`` records."""
    return source == target or target in ADAPTABLE.get(source, set())


def adapt(
    record: dict[str, Any], source: DataFamily, target: DataFamily, tokenizer: Any = None
) -> list[dict[str, Any]]:
    """``record`` (of family ``source``) as zero or more records of family ``target``."""
    if source == target:
        return [record]
    if source == DataFamily.PREFERENCE and target == DataFamily.UNPAIRED_PREFERENCE:
        # the usual unpairing (as trl's unpair_preference_dataset): one desirable, one undesirable
        return [
            {"prompt": record["prompt"], "completion": record["chosen"], "label": True},
            {"prompt": record["prompt"], "completion": record["rejected"], "label": False},
        ]
    if target == DataFamily.CHAT or (
        target == DataFamily.TEXT and "messages" not in record and "prompt" in record
    ):
        if source == DataFamily.PREFERENCE:
            chat = {"messages": record["prompt"] + record["chosen"]}
        elif record.get("label"):
            chat = {"messages": record["prompt"] + record["completion"]}
        else:
            return []  # an undesirable completion is nothing to imitate
        return [chat] if target == DataFamily.CHAT else adapt(chat, DataFamily.CHAT, target, tokenizer)
    if target == DataFamily.TEXT and source == DataFamily.CHAT:
        return [{"text": render_chat(record["messages"], tokenizer)}]
    if target == DataFamily.TEXT and source == DataFamily.CLASSIFICATION:
        return [{"text": record["text"]}]
    raise ValueError(f"cannot turn {source.value} records into {target.value} records")


def record_text(record: dict[str, Any], family: DataFamily, tokenizer: Any = None) -> str:
    """The text a model sees for one normalised record (used for token counts and language)."""
    if family == DataFamily.CHAT:
        return render_chat(record["messages"], tokenizer)
    if family == DataFamily.PREFERENCE:
        return render_chat(record["prompt"] + record["chosen"], tokenizer)
    if family == DataFamily.UNPAIRED_PREFERENCE:
        return render_chat(record["prompt"] + record["completion"], tokenizer)
    if family == DataFamily.PAIRS:
        return f"{record['anchor']}\n{record['positive']}"
    return str(record.get("text", ""))


def record_words(record: dict[str, Any]) -> str:
    """The human-written text of a normalised record, without template markup (for language guesses)."""
    if "text" in record:
        return str(record["text"])
    if "anchor" in record:
        return f"{record['anchor']}\n{record['positive']}"
    keys = ("messages", "prompt", "chosen", "completion")
    return "\n".join(m["content"] for key in keys for m in record.get(key, ()))
