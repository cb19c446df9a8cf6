"""Optional LLM interpretation (`--llm openai[:MODEL]` | `anthropic[:MODEL]`), validated like any plan.

The model sees the closed vocabularies and catalog ids and must answer with JSON holding the plan's
`intent` and `capabilities` objects (the same pydantic models as TrainingPlan) plus `method` and
`base_model`. Anything else, or any failure, falls back to the offline interpreter with a warning.
OpenAI-compatible servers (Ollama, vLLM) work through OPENAI_BASE_URL.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from omnitune.catalog.entries import load_models
from omnitune.plan.interpreter import Interpretation
from omnitune.plan.schema import Capabilities, Intent
from omnitune.types import Method, Modality, Task

DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-latest"}
TIMEOUT_S = 30.0


class LlmAnswer(BaseModel):
    """What the LLM must return; enums and catalog ids only."""

    model_config = ConfigDict(extra="forbid")

    intent: Intent
    capabilities: Capabilities
    method: Method | None = None
    base_model: str | None = None
    vague: bool = False
    questions: list[str] = []

    @field_validator("base_model")
    @classmethod
    def _known_model(cls, value: str | None) -> str | None:
        if value is not None and value not in load_models():
            raise ValueError(f"base_model {value!r} is not a catalog id")
        return value


def system_prompt() -> str:
    """Instructions listing every allowed value."""
    ids = ", ".join(m.id for m in load_models().values() if m.from_config is None)
    return (
        "You turn a request to train an AI model into JSON. Answer with one JSON object only, keys: "
        '"intent" {summary, primary_goal, secondary_goals[], constraints[], references[]}, '
        '"capabilities" {modality, tasks[], sub_capabilities[], quality{resolution, duration_s, sample_rate, '
        'bit_depth, fps, context_length}, styles[], output_formats[]}, "method", "base_model", "vague", '
        '"questions"[]. Use null when the request does not say. If the request is too vague to know the '
        "modality, set modality null, vague true and ask questions.\n"
        f"modality: one of {', '.join(m.value for m in Modality)}\n"
        f"tasks: from {', '.join(t.value for t in Task)}\n"
        f"method: one of {', '.join(m.value for m in Method)}\n"
        f"base_model: a catalog id from {ids}"
    )


def _parse_spec(spec: str) -> tuple[str, str]:
    provider, _, model = spec.partition(":")
    provider = provider.strip().lower()
    if provider not in DEFAULT_MODELS:
        raise ValueError(f"unknown LLM provider {provider!r}; use openai[:MODEL] or anthropic[:MODEL]")
    return provider, model or DEFAULT_MODELS[provider]


def _ask(provider: str, model: str, request: str) -> str:
    """The raw text answer of the provider's SDK (imported here: optional dependency)."""
    if provider == "openai":
        import openai

        client: Any = openai.OpenAI(timeout=TIMEOUT_S, max_retries=0)
        reply = client.chat.completions.create(
            model=model,
            temperature=0,
            messages=[{"role": "system", "content": system_prompt()}, {"role": "user", "content": request}],
        )
        return str(reply.choices[0].message.content or "")
    import anthropic

    aclient: Any = anthropic.Anthropic(timeout=TIMEOUT_S, max_retries=0)
    message = aclient.messages.create(
        model=model, max_tokens=1500, system=system_prompt(), messages=[{"role": "user", "content": request}]
    )
    return "".join(getattr(block, "text", "") for block in message.content)


def parse_answer(text: str) -> LlmAnswer:
    """Validate the JSON object in ``text`` (code fences allowed) against the plan schema."""
    match = re.search(r"\{.*\}", text, re.S)
    if not match:
        raise ValueError("the answer holds no JSON object")
    return LlmAnswer.model_validate(json.loads(match.group(0)))


def interpret_with_llm(
    request: str, spec: str, *, fallback: Interpretation
) -> tuple[Interpretation, str, str]:
    """(interpretation, interpreter label, warning) — the offline one with a warning on any failure."""
    try:
        provider, model = _parse_spec(spec)
        answer = parse_answer(_ask(provider, model, request))
    except Exception as exc:  # any SDK, network, JSON or schema failure falls back to the rules
        reason = f"{type(exc).__name__}: {exc}"[:300]
        return fallback, "rules", f"LLM interpretation failed ({reason}); used the offline interpreter"
    return _merge(answer, fallback), f"llm:{model}", ""


def _merge(answer: LlmAnswer, rules: Interpretation) -> Interpretation:
    """The LLM decides the meaning; explicit values parsed from the text are kept."""
    caps = answer.capabilities
    vague = answer.vague or caps.modality is None
    return replace(
        rules,
        modality=None if vague else caps.modality,
        tasks=[] if vague else list(caps.tasks),
        method=answer.method or rules.method,
        base_model=answer.base_model or rules.base_model,
        references=answer.intent.references or rules.references,
        vague=vague,
        task_scores={t: 3.0 for t in caps.tasks} | rules.task_scores,
        rule_scores={t: 3.0 for t in caps.tasks} | rules.rule_scores,
    )
