"""LLM interpretation through the openai SDK against a local OpenAI-compatible server; fallbacks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from omnitune.plan import build_plan
from omnitune.plan.llm import parse_answer, system_prompt

GOOD = {
    "intent": {"summary": "a friendly support bot", "primary_goal": "chat", "references": []},
    "capabilities": {"modality": "llm", "tasks": ["chat", "instruction_tuning"]},
    "method": "qlora",
    "base_model": "qwen2.5-1.5b-instruct",
    "vague": False,
    "questions": [],
}


class _Server(BaseHTTPRequestHandler):
    answer = ""
    requests: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Server.requests.append(body)
        reply = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": _Server.answer},
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        payload = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def openai_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    pytest.importorskip("openai")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    yield
    server.shutdown()


def test_llm_answer_becomes_the_plan(openai_server: None) -> None:
    _Server.answer = "```json\n" + json.dumps(GOOD) + "\n```"
    plan = build_plan("a bot for our help desk", llm="openai:local-model")
    assert plan.interpreter == "llm:local-model"
    assert plan.models[0].base_model == "qwen2.5-1.5b-instruct" and plan.models[0].method.value == "qlora"
    assert "chat" in [t.value for t in plan.capabilities.tasks]
    assert "qwen2.5-1.5b-instruct" in _Server.requests[-1]["messages"][0]["content"]  # type: ignore[index]


@pytest.mark.parametrize(
    "answer",
    [
        "not json at all",
        json.dumps({**GOOD, "base_model": "gpt-17"}),
        json.dumps({**GOOD, "method": "magic"}),
    ],
)
def test_invalid_llm_answers_fall_back_to_the_rules_with_a_warning(openai_server: None, answer: str) -> None:
    _Server.answer = answer
    plan = build_plan("sentiment classifier for app store reviews", llm="openai:local-model")
    assert plan.interpreter == "rules" and plan.capabilities.tasks[0].value == "text_classification"
    assert any("LLM interpretation failed" in w for w in plan.warnings)


def test_unknown_provider_falls_back() -> None:
    plan = build_plan("sentiment classifier for app store reviews", llm="nonesuch")
    assert plan.interpreter == "rules" and any("unknown LLM provider" in w for w in plan.warnings)


def test_prompt_lists_only_enums_and_catalog_ids() -> None:
    prompt = system_prompt()
    assert "text_to_video" in prompt and "dreambooth" in prompt and "llama-3.1-8b-instruct" in prompt
    assert parse_answer(json.dumps(GOOD)).capabilities.tasks[0].value == "chat"
