"""The model behind the endpoint: chat prompts, greedy or sampled generation, token streaming, embeddings.

One generation runs at a time (a lock): a transformers model on one device is not meant to be driven
by several threads at once, and requests queue instead of failing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from omnitune.serving.schemas import Sampling


@dataclass
class Generation:
    """A finished completion."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str


class ServedModel:
    """A causal LM and tokenizer served under ``name``."""

    kind, engine = "language", "transformers"

    def __init__(self, name: str, model: Any, tokenizer: Any, default_max_tokens: int = 128) -> None:
        self.name, self.model, self.tokenizer = name, model.eval(), tokenizer
        self.default_max_tokens = default_max_tokens
        self.lock = threading.Lock()

    @classmethod
    def load(cls, name: str, path: str) -> ServedModel:
        """Load from a directory (adapters are merged for speed), catalog or Hub id."""
        from omnitune.evaluate.language_model import LanguageModel

        loaded = LanguageModel.load(name, path)
        model = loaded.model
        if hasattr(model, "merge_and_unload"):
            model = model.merge_and_unload()
        return cls(name, model, loaded.tokenizer)

    def chat_ids(self, messages: list[dict[str, str]]) -> list[int]:
        """Token ids of a chat ready for the assistant's reply."""
        return chat_prompt_ids(self.tokenizer, messages)

    def text_ids(self, prompt: str) -> list[int]:
        """Token ids of a raw text prompt."""
        return list(self.tokenizer(prompt)["input_ids"])

    def generate(self, ids: list[int], options: Sampling) -> Generation:
        """A whole completion."""
        with self.lock:
            out = self.model.generate(**self._generate_kwargs(ids, options))
        new = out[0, len(ids) :]
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        text, stopped = _cut_at_stop(text, options.stops())
        finish = (
            "stop" if stopped or int(new.numel()) < options.new_tokens(self.default_max_tokens) else "length"
        )
        return Generation(text, len(ids), int(new.numel()), finish)

    def stream(self, ids: list[int], options: Sampling) -> Iterator[str]:
        """Text pieces as they are generated."""
        from transformers import TextIteratorStreamer

        streamer = TextIteratorStreamer(
            self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600
        )
        kwargs = {**self._generate_kwargs(ids, options), "streamer": streamer}

        def run() -> None:
            with self.lock:
                self.model.generate(**kwargs)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        sent, stops = "", options.stops()
        for piece in streamer:
            cut, stopped = _cut_at_stop(sent + piece, stops)
            if cut[len(sent) :]:
                yield cut[len(sent) :]
            sent = cut
            if stopped:
                break
        thread.join()

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """Mean-pooled, L2-normalised last hidden states, and the tokens read."""
        import torch

        vectors, tokens = [], 0
        with self.lock, torch.no_grad():
            for text in texts:
                ids = torch.tensor([self.text_ids(text)], device=self.model.device)
                hidden = self.model(input_ids=ids, output_hidden_states=True).hidden_states[-1][0]
                vector = torch.nn.functional.normalize(hidden.float().mean(0), dim=0)
                vectors.append(vector.tolist())
                tokens += int(ids.shape[1])
        return vectors, tokens

    def _generate_kwargs(self, ids: list[int], options: Sampling) -> dict[str, Any]:
        import torch

        if options.seed is not None:
            torch.manual_seed(options.seed)
        tensor = torch.tensor([ids], device=self.model.device)
        sample = options.temperature > 0
        kwargs: dict[str, Any] = {
            "input_ids": tensor,
            "attention_mask": torch.ones_like(tensor),
            "do_sample": sample,
            "max_new_tokens": options.new_tokens(self.default_max_tokens),
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if sample:
            kwargs.update(temperature=options.temperature, top_p=options.top_p)
        return kwargs


def _cut_at_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """``text`` up to the first stop string, and whether one was found."""
    hits = [text.index(s) for s in stops if s and s in text]
    return (text[: min(hits)], True) if hits else (text, False)


def chat_prompt_ids(tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
    """Token ids of a chat ready for the assistant's reply (the tokenizer's chat template)."""
    encoded = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=True
    )
    return list(encoded["input_ids"])
