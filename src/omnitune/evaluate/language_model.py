"""A loaded causal LM for evaluation: held-out loss on reference tokens, and greedy replies with latency."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from omnitune.evaluate.examples import EvalExample


@dataclass
class Reply:
    """One generated reply and how long it took."""

    text: str
    latency_s: float
    prompt_tokens: int
    completion_tokens: int


def inference_device() -> str:
    """OMNITUNE_INFERENCE_DEVICE, else the first CUDA GPU when there is one, else the CPU."""
    import os

    import torch

    return os.environ.get("OMNITUNE_INFERENCE_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")


class LanguageModel:
    """A causal LM and its tokenizer (from a directory, catalog or Hub id), in eval mode."""

    def __init__(self, ref: str, model: Any, tokenizer: Any) -> None:
        self.ref, self.model, self.tokenizer = ref, model, tokenizer
        self.model.eval()

    @classmethod
    def load(cls, ref: str, path: str) -> LanguageModel:
        """Load the model at ``path`` (a directory, adapter directory, catalog or Hub id)."""
        from omnitune.recipes.llm.models import load_model_and_tokenizer

        model: Any
        try:
            model, tokenizer = load_model_and_tokenizer(path)
        except OSError as exc:  # transformers' "not a local folder and not on the Hub (offline)"
            raise ValueError(
                f"cannot load model {ref!r}: {str(exc).splitlines()[0]}; give a registered version "
                "(`omnitune models list`), a model directory, or a catalog/Hub id"
            ) from None
        return cls(ref, model.to(inference_device()), tokenizer)

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        """Token ids of a chat up to the assistant's turn."""
        ids = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=True, return_dict=True
        )["input_ids"]
        return list(ids)

    def scored_ids(self, example: EvalExample) -> tuple[list[int], int]:
        """``(ids, n_prompt)``: the sequence to score and how many leading tokens are context only."""
        if example.text is not None:
            ids = list(self.tokenizer(example.text)["input_ids"])
            return ids, 1  # the first token has no prediction
        prompt = self.prompt_ids(example.messages)
        answer = list(self.tokenizer(str(example.reference), add_special_tokens=False)["input_ids"])
        eos = [self.tokenizer.eos_token_id] if self.tokenizer.eos_token_id is not None else []
        return prompt + answer + eos, len(prompt)

    def loss(self, examples: list[EvalExample]) -> dict[str, float]:
        """Token-weighted mean NLL over reference (or whole-text) tokens, and its perplexity."""
        import torch

        total, count = 0.0, 0
        with torch.no_grad():
            for example in examples:
                if example.text is None and example.reference is None:
                    continue
                ids, n_prompt = self.scored_ids(example)
                inputs = torch.tensor([ids], device=self.model.device)
                logits = self.model(input_ids=inputs).logits[0, :-1].float()
                targets = inputs[0, 1:]
                nll = torch.nn.functional.cross_entropy(logits, targets, reduction="none")[n_prompt - 1 :]
                total += float(nll.sum())
                count += int(nll.numel())
        if count == 0:
            return {}
        mean = total / count
        return {"loss": mean, "perplexity": math.exp(min(mean, 80.0)), "scored_tokens": float(count)}

    def reply(self, messages: list[dict[str, str]], max_new_tokens: int = 32, **sampling: Any) -> Reply:
        """A reply to a chat (greedy unless sampling options are given)."""
        import torch

        ids = torch.tensor([self.prompt_ids(messages)], device=self.model.device)
        options = {"do_sample": False, **sampling} if sampling else {"do_sample": False}
        start = time.perf_counter()
        with torch.no_grad():
            out = self.model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=max_new_tokens,
                pad_token_id=self.tokenizer.pad_token_id,
                **options,
            )
        latency = time.perf_counter() - start
        new = out[0, ids.shape[1] :]
        text = self.tokenizer.decode(new, skip_special_tokens=True).strip()
        return Reply(text, latency, int(ids.shape[1]), int(new.numel()))
