"""The FastAPI app: /v1/models, /v1/chat/completions (with SSE streaming), /v1/completions, /v1/embeddings
for language models; media models add their routes (media_routes.py). An endpoint the served model does
not answer is a 400 naming the endpoints it does."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from omnitune.serving.engine import ServedModel
from omnitune.serving.loading import DESCRIPTIONS, ENDPOINTS
from omnitune.serving.media import MediaRequestError
from omnitune.serving.schemas import ChatRequest, CompletionRequest, EmbeddingRequest, Sampling

UsageHook = Callable[[int, int], None]  # (prompt_tokens, completion_tokens) per request


class WrongEndpointError(Exception):
    """A request to an endpoint the served model's kind does not answer."""


def openai_error(message: str, status: int = 400) -> JSONResponse:
    """An error body in OpenAI's shape, so clients show the message."""
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}
    return JSONResponse(body, status_code=status)


def create_app(served: Any, on_usage: UsageHook | None = None) -> FastAPI:
    """An OpenAI-compatible app serving one model (a ServedModel, or an image/speech/music model)."""
    from omnitune.serving.media_routes import add_media_routes

    app = FastAPI(title=f"omnitune: {served.name}", docs_url="/docs")
    count = on_usage or (lambda prompt, completion: None)
    kind = getattr(served, "kind", "language")

    async def refuse(request: Request, exc: Exception) -> JSONResponse:
        return openai_error(str(exc))

    app.add_exception_handler(WrongEndpointError, refuse)
    app.add_exception_handler(MediaRequestError, refuse)
    add_language_routes(app, served, kind, count)
    add_media_routes(app, served, kind, count)
    return app


def served_endpoints(served: Any, kind: str) -> tuple[str, ...]:
    """The endpoints ``served`` answers: its own ``endpoints`` (the vLLM engine), else its kind's."""
    return tuple(getattr(served, "endpoints", ENDPOINTS[kind]))


def require(served: Any, kind: str, endpoint: str) -> None:
    """Raise WrongEndpointError unless ``served`` answers ``endpoint`` (e.g. ``POST /v1/embeddings``)."""
    endpoints = served_endpoints(served, kind)
    if endpoint not in endpoints:
        what = getattr(served, "description", DESCRIPTIONS[kind])
        raise WrongEndpointError(f"{endpoint}: {served.name} is {what}; it serves {', '.join(endpoints)}")


def add_language_routes(app: FastAPI, served: ServedModel, kind: str, count: UsageHook) -> None:
    """/health, /v1/models and the language endpoints (answering 400 on a media model)."""

    @app.get("/health")
    def health() -> dict[str, Any]:
        endpoints = list(served_endpoints(served, kind))
        engine = getattr(served, "engine", "transformers")
        return {"status": "ok", "model": served.name, "kind": kind, "engine": engine, "endpoints": endpoints}

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": served.name, "object": "model", "owned_by": "omnitune"}]}

    @app.post("/v1/chat/completions", response_model=None)
    def chat(body: ChatRequest) -> dict[str, Any] | StreamingResponse:
        require(served, kind, "POST /v1/chat/completions")
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
        require(served, kind, "POST /v1/completions")
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
        require(served, kind, "POST /v1/embeddings")
        texts = [body.input] if isinstance(body.input, str) else body.input
        vectors, tokens = served.embed(texts)
        count(tokens, 0)
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return {"object": "list", "model": served.name, "data": data, "usage": usage}


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
