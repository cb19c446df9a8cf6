"""Token counting and truncation with a fast tokenizer (batched), or whitespace tokens without one."""

from __future__ import annotations

import re
from typing import Any

from omnitune.data.errors import DataError

_WORD = re.compile(r"\S+")
BATCH = 2048


def load_tokenizer(spec: Any) -> Any:
    """A tokenizer from a name or local path (offline: local files only); objects pass through."""
    if spec is None or not isinstance(spec, str):
        return spec
    from omnitune.data.sources import hub_offline

    try:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(spec, local_files_only=hub_offline())
    except Exception as err:  # missing files, offline, unknown repo: all mean "cannot use it"
        raise DataError(
            f"could not load tokenizer {spec!r}: {err}. Pass a local tokenizer folder, or omit "
            "the tokenizer to count whitespace-separated tokens instead"
        ) from err


class TokenCounter:
    """Counts tokens as a given tokenizer does, or whitespace-separated words when there is none."""

    def __init__(self, tokenizer: Any = None) -> None:
        self.tokenizer = tokenizer
        self._fast = None
        backend = getattr(tokenizer, "backend_tokenizer", None)
        if backend is not None:
            # a private copy, so switching truncation/padding off never changes the caller's tokenizer
            from tokenizers import Tokenizer

            self._fast = Tokenizer.from_str(backend.to_str())
            self._fast.no_truncation()
            self._fast.no_padding()

    @property
    def name(self) -> str:
        """What the counts are in: the tokenizer's name, or 'whitespace'."""
        if self.tokenizer is None:
            return "whitespace"
        return str(getattr(self.tokenizer, "name_or_path", "") or type(self.tokenizer).__name__)

    def lengths(self, texts: list[str]) -> list[int]:
        """Token count of each text, in batches."""
        if self.tokenizer is None:
            return [len(t.split()) for t in texts]
        out: list[int] = []
        for start in range(0, len(texts), BATCH):
            batch = texts[start : start + BATCH]
            if self._fast is not None:
                out += [len(e.ids) for e in self._fast.encode_batch_fast(batch, add_special_tokens=False)]
            else:
                out += [len(ids) for ids in self.tokenizer(batch, add_special_tokens=False)["input_ids"]]
        return out

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of ``text`` that has at most ``max_tokens`` tokens."""
        if max_tokens <= 0:
            return ""
        if self.tokenizer is None:
            words = list(_WORD.finditer(text))
            return text if len(words) <= max_tokens else text[: words[max_tokens - 1].end()]
        if self._fast is not None:
            enc = self._fast.encode(text, add_special_tokens=False)
            return text if len(enc.ids) <= max_tokens else text[: enc.offsets[max_tokens - 1][1]]
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return text if len(ids) <= max_tokens else str(self.tokenizer.decode(ids[:max_tokens]))
