"""LLM-as-judge: score an answer against a rubric with an OpenAI-compatible or Anthropic endpoint, or a
local model. The judge must end its reply with ``SCORE: N`` (1-10); the score is reported as N/10.

Judge specs (``--judge``): ``openai:MODEL@BASE_URL`` (any OpenAI-compatible server, e.g. vLLM, Ollama,
llama.cpp, OpenAI), ``anthropic:MODEL`` (optionally ``@BASE_URL``), ``local:PATH_OR_ID``. API keys come
from OMNITUNE_JUDGE_API_KEY, else OPENAI_API_KEY / ANTHROPIC_API_KEY.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Protocol

DEFAULT_RUBRIC = (
    "Rate how well the answer responds to the prompt: correct, complete, helpful and concise. "
    "When a reference answer is given, an answer that means the same is fully correct."
)
_SCORE = re.compile(r"score\s*[:=]\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


@dataclass
class Verdict:
    """A judge's score in [0, 1] and its reasoning."""

    score: float
    reasoning: str


class Judge(Protocol):
    """Anything that turns a judging prompt into the judge's reply text."""

    name: str

    def complete(self, system: str, user: str) -> str:
        """The judge's reply."""
        ...


def judge_answer(
    judge: Judge, prompt: str, answer: str, reference: str | None = None, rubric: str = DEFAULT_RUBRIC
) -> Verdict:
    """Ask ``judge`` to score ``answer`` to ``prompt`` against ``rubric``."""
    system = (
        f"You are a strict evaluator. Rubric: {rubric}\n"
        "End your reply with a line 'SCORE: N', N from 1 to 10."
    )
    parts = [f"Prompt:\n{prompt}", f"Answer:\n{answer}"]
    if reference is not None:
        parts.insert(1, f"Reference answer:\n{reference}")
    reply = judge.complete(system, "\n\n".join(parts))
    return Verdict(parse_score(reply, judge.name), reply)


def parse_score(reply: str, judge_name: str) -> float:
    """The last ``SCORE: N`` in a judge's reply, as N/10 clipped to [0, 1]."""
    found = _SCORE.findall(reply)
    if not found:
        raise ValueError(f"judge {judge_name} gave no 'SCORE: N' line; its reply began: {reply[:200]!r}")
    return max(0.0, min(1.0, float(found[-1]) / 10.0))


class OpenAICompatibleJudge:
    """A judge behind any server speaking OpenAI's ``/v1/chat/completions``."""

    def __init__(
        self, model: str, base_url: str, api_key: str | None = None, timeout_s: float = 120.0
    ) -> None:
        self.name, self.model, self.base_url = f"openai:{model}", model, base_url.rstrip("/")
        self.api_key = api_key or os.environ.get("OMNITUNE_JUDGE_API_KEY") or os.environ.get("OPENAI_API_KEY")
        self.timeout_s = timeout_s

    def complete(self, system: str, user: str) -> str:
        """POST a chat completion and return the first choice's text."""
        body = {
            "model": self.model,
            "temperature": 0,
            "max_tokens": 512,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        data = _post_json(f"{self.base_url}/chat/completions", body, headers, self.timeout_s)
        try:
            return str(data["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError):
            raise ValueError(
                f"{self.base_url}/chat/completions: no choices[0].message.content in {data}"
            ) from None


class AnthropicJudge:
    """A judge behind Anthropic's Messages API (``/v1/messages``)."""

    def __init__(
        self,
        model: str,
        base_url: str = "https://api.anthropic.com",
        api_key: str | None = None,
        timeout_s: float = 120.0,
    ) -> None:
        self.name, self.model, self.base_url = f"anthropic:{model}", model, base_url.rstrip("/")
        self.api_key = (
            api_key or os.environ.get("OMNITUNE_JUDGE_API_KEY") or os.environ.get("ANTHROPIC_API_KEY")
        )
        self.timeout_s = timeout_s

    def complete(self, system: str, user: str) -> str:
        """POST a message and return the concatenated text blocks."""
        if not self.api_key:
            raise ValueError(
                "the Anthropic judge needs an API key: set ANTHROPIC_API_KEY or OMNITUNE_JUDGE_API_KEY"
            )
        body = {
            "model": self.model,
            "max_tokens": 512,
            "system": system,
            "messages": [{"role": "user", "content": user}],
        }
        headers = {"x-api-key": self.api_key, "anthropic-version": "2023-06-01"}
        data = _post_json(f"{self.base_url}/v1/messages", body, headers, self.timeout_s)
        blocks = data.get("content") if isinstance(data, dict) else None
        if not isinstance(blocks, list):
            raise ValueError(f"{self.base_url}/v1/messages: no content blocks in {data}")
        return "".join(str(b.get("text", "")) for b in blocks if isinstance(b, dict))


class LocalModelJudge:
    """A judge run locally with transformers (any chat model directory, catalog or Hub id)."""

    def __init__(self, path: str, max_new_tokens: int = 64) -> None:
        from omnitune.evaluate.language_model import LanguageModel

        self.name, self.max_new_tokens = f"local:{path}", max_new_tokens
        self.model = LanguageModel.load(path, path)

    def complete(self, system: str, user: str) -> str:
        """Generate the judge's reply greedily."""
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        return self.model.reply(messages, max_new_tokens=self.max_new_tokens).text


def judge_from_spec(spec: str, api_key: str | None = None) -> Judge:
    """Build a judge from ``openai:MODEL@URL``, ``anthropic:MODEL[@URL]`` or ``local:PATH``."""
    kind, _, rest = spec.partition(":")
    model, _, url = rest.partition("@")
    if kind == "openai" and model and url:
        return OpenAICompatibleJudge(model, url, api_key=api_key)
    if kind == "anthropic" and model:
        return AnthropicJudge(model, url or "https://api.anthropic.com", api_key=api_key)
    if kind == "local" and rest:
        return LocalModelJudge(rest)
    raise ValueError(f"judge {spec!r}: use openai:MODEL@BASE_URL, anthropic:MODEL[@BASE_URL] or local:PATH")


def _post_json(url: str, body: dict[str, Any], headers: dict[str, str], timeout_s: float) -> Any:
    import httpx

    try:
        response = httpx.post(url, json=body, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise ValueError(f"judge endpoint {url} unreachable: {exc}") from None
    if response.status_code >= 400:
        raise ValueError(f"judge endpoint {url} answered {response.status_code}: {response.text[:300]}")
    return response.json()
