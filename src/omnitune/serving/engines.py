"""The engine behind a language model's endpoints: transformers (always), or vLLM on a CUDA GPU.

``auto`` picks vLLM only when ``import vllm`` works and CUDA is present, else transformers; ``vllm``
without either fails naming what it needs. Both engines answer the same routes (app.py).
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from omnitune.registry.references import ResolvedModel
from omnitune.serving.engine import Generation, ServedModel, chat_prompt_ids
from omnitune.serving.schemas import Sampling

ENGINES = ("auto", "transformers", "vllm")
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)  # vllm.config.lora.MaxLoRARanks


class EngineUnavailableError(ValueError):
    """``--engine vllm`` on a machine that cannot run vLLM (a bad option value here, so a ValueError)."""


def vllm_problem() -> str | None:
    """Why vLLM cannot serve on this machine (None when ``import vllm`` works and CUDA is present)."""
    try:
        import vllm  # noqa: F401
    except ImportError as exc:
        return f"vllm is not installed ({exc})"
    import torch

    if not torch.cuda.is_available():
        return "no CUDA GPU is visible (torch.cuda.is_available() is False)"
    return None


def choose_engine(requested: str, problem: str | None) -> str:
    """``transformers`` or ``vllm`` for ``--engine requested``, given :func:`vllm_problem`'s answer."""
    if requested not in ENGINES:
        raise ValueError(f"--engine {requested!r}: use one of {', '.join(ENGINES)}")
    if requested == "transformers":
        return "transformers"
    if problem is None:
        return "vllm"
    if requested == "vllm":
        raise EngineUnavailableError(
            f"--engine vllm: {problem}; vLLM needs a CUDA GPU: `pip install vllm` on a CUDA machine, "
            "or serve with --engine transformers (or auto)"
        )
    return "transformers"


def load_language_model(resolved: ResolvedModel, engine: str = "auto") -> Any:
    """The served language model for ``resolved`` through ``engine``."""
    chosen = choose_engine(engine, None if engine == "transformers" else vllm_problem())
    if chosen == "vllm":
        return VllmModel.load(resolved.label, resolved.path)
    return ServedModel.load(resolved.label, resolved.path)


def vllm_lora_plan(path: Path) -> tuple[str, int] | None:
    """``(base, max_lora_rank)`` when vLLM can apply the adapter at ``path`` as a LoRARequest, else None.

    vLLM takes plain LoRA adapters (no DoRA, no ``modules_to_save``, rank up to 512) on a base it can
    load; anything else is merged into full weights first (:func:`merged_directory`).
    """
    from omnitune.recipes.llm.models import adapter_base_ref, is_adapter_dir

    if not is_adapter_dir(path):
        return None
    config = json.loads((path / "adapter_config.json").read_text(encoding="utf-8"))
    rank = int(config.get("r") or 0)
    if config.get("peft_type") != "LORA" or config.get("use_dora") or config.get("modules_to_save"):
        return None
    fitting = [r for r in VLLM_LORA_RANKS if r >= rank]
    if not fitting:
        return None
    try:
        return adapter_base_ref(path), fitting[0]
    except ValueError:
        return None


def merged_directory(path: str, into: Path) -> Path:
    """The model at ``path`` with any adapter folded into full weights, saved (with tokenizer) to ``into``."""
    from omnitune.recipes.llm.models import load_model_and_tokenizer

    model, tokenizer = load_model_and_tokenizer(path)
    merge = getattr(model, "merge_and_unload", None)
    if callable(merge):
        model = merge()
    model.save_pretrained(into)
    tokenizer.save_pretrained(into)
    return into


class VllmModel:
    """A language model on vLLM's offline engine (``vllm.LLM``), answering chat and completions.

    LoRA versions run as a ``LoRARequest`` on their base; other adapters are merged into a temporary
    full-weight directory first. Chat prompts use the version's own tokenizer and chat template.
    Streaming yields the whole completion as one chunk: token-by-token streaming needs vLLM's async
    engine, which the offline ``LLM`` does not expose. Embeddings need ``--engine transformers``.
    """

    kind, engine = "language", "vllm"
    endpoints = ("POST /v1/chat/completions", "POST /v1/completions")
    description = "a language model on vLLM (for /v1/embeddings serve it with --engine transformers)"

    def __init__(self, name: str, llm: Any, tokenizer: Any, lora: Any = None, default_max_tokens: int = 128):
        self.name, self.llm, self.tokenizer, self.lora = name, llm, tokenizer, lora
        self.default_max_tokens = default_max_tokens
        self.lock = threading.Lock()
        self._workdir: Any = None  # keeps a merged directory alive as long as the engine

    @classmethod
    def load(cls, name: str, path: str) -> VllmModel:
        """Start vLLM on ``path`` (a model directory, LoRA adapter directory, or Hub id)."""
        from transformers import AutoTokenizer
        from vllm import LLM
        from vllm.lora.request import LoRARequest

        directory = Path(path)
        lora = vllm_lora_plan(directory) if directory.is_dir() else None
        workdir = None
        if lora is not None:
            base, rank = lora
            llm = LLM(model=base, tokenizer=path, enable_lora=True, max_lora_rank=rank)
            request = LoRARequest(name, 1, str(directory))
        else:
            if directory.is_dir() and (directory / "adapter_config.json").is_file():
                workdir = tempfile.TemporaryDirectory(prefix="omnitune-vllm-")
                path = str(merged_directory(path, Path(workdir.name)))
            llm, request = LLM(model=path, tokenizer=path), None
        served = cls(name, llm, AutoTokenizer.from_pretrained(path), request)
        served._workdir = workdir
        return served

    def chat_ids(self, messages: list[dict[str, str]]) -> list[int]:
        """Token ids of a chat ready for the assistant's reply (the tokenizer's chat template)."""
        return chat_prompt_ids(self.tokenizer, messages)

    def text_ids(self, prompt: str) -> list[int]:
        """Token ids of a raw text prompt."""
        return list(self.tokenizer(prompt)["input_ids"])

    def generate(self, ids: list[int], options: Sampling) -> Generation:
        """A whole completion from vLLM."""
        with self.lock:
            outputs = self.llm.generate(
                [{"prompt_token_ids": ids}],
                sampling_params(options, self.default_max_tokens),
                use_tqdm=False,
                lora_request=self.lora,
            )
        out = outputs[0].outputs[0]
        finish = "length" if out.finish_reason == "length" else "stop"
        return Generation(out.text, len(ids), len(out.token_ids), finish)

    def stream(self, ids: list[int], options: Sampling) -> Iterator[str]:
        """The completion as one chunk (the offline engine finishes a request before returning it)."""
        text = self.generate(ids, options).text
        if text:
            yield text

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """Not served by vLLM's generation engine; the route refuses first (see ``endpoints``)."""
        raise EngineUnavailableError(
            f"{self.name} runs on vLLM's generation engine; "
            "serve it with --engine transformers for embeddings"
        )


def sampling_params(options: Sampling, default_max_tokens: int) -> Any:
    """vLLM ``SamplingParams`` for an OpenAI request (temperature 0 is greedy)."""
    from vllm import SamplingParams

    sample = options.temperature > 0
    return SamplingParams(
        temperature=options.temperature if sample else 0.0,
        top_p=options.top_p if sample else 1.0,
        max_tokens=options.new_tokens(default_max_tokens),
        stop=options.stops() or None,
        seed=options.seed,
    )
