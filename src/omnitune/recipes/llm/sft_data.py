"""Prepared chat/text datasets → token ids with loss labels, packed or length-bucketed batches.

Chat records get assistant-only labels: the character span of each assistant turn is found by
rendering the conversation's prefixes with the tokenizer's own chat template, then mapped onto
tokens through the offset mapping, so it works for any template whose prefixes render as prefixes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnitune.data.manifest import DatasetManifest
from omnitune.types import DataFamily

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

IGNORE_INDEX = -100
SUPPORTED_FAMILIES = (DataFamily.CHAT, DataFamily.TEXT)


@dataclass
class Example:
    """One training sequence: token ids and labels (``IGNORE_INDEX`` where no loss is taken)."""

    input_ids: list[int]
    labels: list[int]
    # set on packed blocks: restarts at 0 for each document, so attention stays within documents
    position_ids: list[int] | None = None

    @property
    def loss_tokens(self) -> int:
        """Tokens that are predicted (a label after the first position)."""
        return sum(1 for label in self.labels[1:] if label != IGNORE_INDEX)


def read_records(data_dir: Path, split: str) -> list[dict[str, Any]]:
    """The records of one split of a prepared dataset ([] when the split is absent)."""
    manifest = DatasetManifest.read(data_dir)
    info = manifest.splits.get(split)
    if info is None:
        return []
    path = Path(data_dir) / info.file
    records = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"{path}:{line_no}: not valid JSON ({exc.msg}); re-run data prepare"
                ) from exc
    return records


def read_family(data_dir: Path) -> DataFamily:
    """The dataset's family, checked to be one SFT can train on."""
    family = DatasetManifest.read(data_dir).family
    if family not in SUPPORTED_FAMILIES:
        raise ValueError(
            f"{data_dir}/manifest.json: family {family.value!r} is not trainable by llm_sft "
            f"(needs {' or '.join(f.value for f in SUPPORTED_FAMILIES)}); "
            "preference data goes to llm_preference"
        )
    return family


def texts_for_tokenizer(records: Iterable[dict[str, Any]], family: DataFamily) -> list[str]:
    """The raw strings a from-config tokenizer is trained on."""
    if family == DataFamily.TEXT:
        return [str(r["text"]) for r in records]
    return [f"{m['role']}\n{m['content']}" for r in records for m in r["messages"]]


def encode_chat(
    tokenizer: PreTrainedTokenizerBase, messages: list[dict[str, str]], max_len: int, assistant_only: bool
) -> Example:
    """Render a conversation with the chat template; label assistant turns (or all tokens)."""
    text = render_chat(tokenizer, messages)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(enc["input_ids"])[:max_len]
    spans = _assistant_spans(tokenizer, messages, text) if assistant_only else [(0, len(text))]
    offsets = enc["offset_mapping"][:max_len]
    labels = [
        tok if any(start <= lo and hi <= end for start, end in spans) else IGNORE_INDEX
        for tok, (lo, hi) in zip(ids, offsets, strict=True)
    ]
    return Example(ids, labels)


def render_chat(
    tokenizer: PreTrainedTokenizerBase, messages: list[dict[str, str]], add_generation_prompt: bool = False
) -> str:
    """The conversation as text, formatted by the tokenizer's chat template."""
    text = tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=add_generation_prompt
    )
    return str(text)


def _assistant_spans(
    tokenizer: PreTrainedTokenizerBase, messages: list[dict[str, str]], text: str
) -> list[tuple[int, int]]:
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = render_chat(tokenizer, messages[:i], add_generation_prompt=True)
        upto = render_chat(tokenizer, messages[: i + 1])
        if not (text.startswith(upto) and upto.startswith(before)):
            return [(0, len(text))]  # the template does not render prefixes as prefixes: train on all
        spans.append((len(before), len(upto)))
    return spans


def encode_text(tokenizer: PreTrainedTokenizerBase, text: str) -> list[int]:
    """Token ids of one document followed by the end-of-sequence token."""
    ids = list(tokenizer(text, add_special_tokens=False)["input_ids"])
    return [*ids, tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else ids


def encode_records(
    tokenizer: PreTrainedTokenizerBase,
    records: list[dict[str, Any]],
    family: DataFamily,
    *,
    max_len: int,
    assistant_only: bool = True,
    packing: bool = False,
) -> list[Example]:
    """Encode a split; text (and chat when ``packing``) is packed into ``max_len`` blocks."""
    if family == DataFamily.TEXT:
        streams = [encode_text(tokenizer, str(r["text"])) for r in records]
        return pack([Example(ids, list(ids)) for ids in streams], max_len)
    examples = [encode_chat(tokenizer, r["messages"], max_len, assistant_only) for r in records]
    examples = [e for e in examples if e.loss_tokens > 0]
    return pack(examples, max_len) if packing else examples


def pack(examples: list[Example], block: int) -> list[Example]:
    """Concatenate sequences into ``block``-token rows, padding-free.

    Position ids restart at every document (and row) start, which transformers turns into a
    block-diagonal causal mask: no token attends across documents. The first token of each
    document is not predicted from the previous one.
    """
    ids = [tok for e in examples for tok in e.input_ids]
    labels = [IGNORE_INDEX if i == 0 else lab for e in examples for i, lab in enumerate(e.labels)]
    starts = [i == 0 for e in examples for i in range(len(e.input_ids))]
    blocks = []
    for begin in range(0, len(ids), block):
        positions, position = [], 0
        for offset, is_start in enumerate(starts[begin : begin + block]):
            position = 0 if is_start or offset == 0 else position + 1
            positions.append(position)
        blocks.append(Example(ids[begin : begin + block], labels[begin : begin + block], positions))
    full = [b for b in blocks if len(b.input_ids) == block]
    return full or [b for b in blocks if b.loss_tokens > 0]


def epoch_batches(
    lengths: list[int], batch_size: int, seed: int, epoch: int, group_by_length: bool = True
) -> list[list[int]]:
    """Batches of example indices for one epoch: a seeded shuffle, length-bucketed in windows."""
    import torch

    generator = torch.Generator().manual_seed(seed * 1000 + epoch)
    order = torch.randperm(len(lengths), generator=generator).tolist()
    if group_by_length:
        window = batch_size * 32
        order = [
            i
            for start in range(0, len(order), window)
            for i in sorted(order[start : start + window], key=lambda i: -lengths[i])
        ]
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    shuffle = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffle]


def collate(examples: list[Example], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a batch to its longest sequence (length bucketing keeps that short).

    Packed rows carry ``position_ids`` and no attention mask; any padding is then a document of
    its own (positions from 0, no labels), so it is never attended to from real tokens.
    """
    import torch

    width = max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    positions = torch.zeros((len(examples), width), dtype=torch.long)
    for row, e in enumerate(examples):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids)
        labels[row, :n] = torch.tensor(e.labels)
        mask[row, :n] = 1
        if e.position_ids is not None:
            positions[row, :n] = torch.tensor(e.position_ids)
            positions[row, n:] = torch.arange(width - n)
    if all(e.position_ids is not None for e in examples):
        return {"input_ids": ids, "position_ids": positions, "labels": labels}
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}
