"""The FastAPI app: /v1/models, /v1/chat/completions (with SSE streaming), /v1/completions, /v1/embeddings."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from omnitune.serving.engine import ServedModel
from omnitune.serving.schemas import ChatRequest, CompletionRequest, EmbeddingRequest, Sampling

UsageHook = Callable[[int, int], None]  # (prompt_tokens, completion_tokens) per request


def create_app(served: ServedModel, on_usage: UsageHook | None = None) -> FastAPI:
    """An OpenAI-compatible app serving one model."""
    app = FastAPI(title=f"omnitune: {served.name}", docs_url="/docs")
    count = on_usage or (lambda prompt, completion: None)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "model": served.name}

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": served.name, "object": "model", "owned_by": "omnitune"}]}

    @app.post("/v1/chat/completions", response_model=None)
    def chat(body: ChatRequest) -> dict[str, Any] | StreamingResponse:
        ids = served.chat_ids([m.model_dump() for m in body.messages])
        if body.stream:
            return _sse(_chat_chunks(served, ids, body, count))
        done = served.generate(ids, body)
        count(done.prompt_tokens, done.completion_tokens)
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": done.text},
            "finish_reason": done.finish_reason,
        }
        return _envelope("chat.completion", served.name, [choice], done.prompt_tokens, done.completion_tokens)

    @app.post("/v1/completions", response_model=None)
    def completions(body: CompletionRequest) -> dict[str, Any] | StreamingResponse:
        prompts = [body.prompt] if isinstance(body.prompt, str) else body.prompt
        if body.stream:
            return _sse(_text_chunks(served, served.text_ids(prompts[0]), body, count))
        choices, used, made = [], 0, 0
        for index, prompt in enumerate(prompts):
            done = served.generate(served.text_ids(prompt), body)
            choices.append({"index": index, "text": done.text, "finish_reason": done.finish_reason})
            used, made = used + done.prompt_tokens, made + done.completion_tokens
        count(used, made)
        return _envelope("text_completion", served.name, choices, used, made)

    @app.post("/v1/embeddings")
    def embeddings(body: EmbeddingRequest) -> dict[str, Any]:
        texts = [body.input] if isinstance(body.input, str) else body.input
        vectors, tokens = served.embed(texts)
        count(tokens, 0)
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return {"object": "list", "model": served.name, "data": data, "usage": usage}

    return app


def _envelope(
    kind: str, model: str, choices: list[dict[str, Any]], prompt: int, completion: int
) -> dict[str, Any]:
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    return {
        "id": f"cmpl-{uuid.uuid4().hex[:16]}",
        "object": kind,
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": usage,
    }


def _chat_chunks(
    served: ServedModel, ids: list[int], body: Sampling, count: UsageHook
) -> Iterator[dict[str, Any]]:
    first = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
    yield _envelope("chat.completion.chunk", served.name, [first], 0, 0)
    pieces = 0
    for piece in served.stream(ids, body):
        pieces += 1
        yield _envelope(
            "chat.completion.chunk",
            served.name,
            [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            0,
            0,
        )
    count(len(ids), pieces)
    yield _envelope(
        "chat.completion.chunk", served.name, [{"index": 0, "delta": {}, "finish_reason": "stop"}], 0, 0
    )


def _text_chunks(
    served: ServedModel, ids: list[int], body: Sampling, count: UsageHook
) -> Iterator[dict[str, Any]]:
    pieces = 0
    for piece in served.stream(ids, body):
        pieces += 1
        yield _envelope(
            "text_completion", served.name, [{"index": 0, "text": piece, "finish_reason": None}], 0, 0
        )
    count(len(ids), pieces)
    yield _envelope("text_completion", served.name, [{"index": 0, "text": "", "finish_reason": "stop"}], 0, 0)


def _sse(chunks: Iterator[dict[str, Any]]) -> StreamingResponse:
    """Server-sent events as OpenAI sends them: one ``data:`` line per chunk, then ``[DONE]``."""

    def events() -> Iterator[str]:
        for chunk in chunks:
            chunk.pop("usage", None)
            yield f"data: {json.dumps(chunk)}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")
