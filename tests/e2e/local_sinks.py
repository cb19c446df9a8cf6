"""Real local endpoints for e2e tests: a webhook receiver, an aiosmtpd server, a scripted generator."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    """A local webhook endpoint on 127.0.0.1 that records every JSON body it is sent."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, kind: str, timeout: float = 30.0) -> dict[str, Any]:
        """The first body whose omnitune kind is ``kind`` (waits for it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for body in self.bodies:
                if body.get("omnitune", {}).get("kind") == kind:
                    return body
            time.sleep(0.1)
        raise AssertionError(f"no {kind} webhook in {timeout}s; got {self.bodies}")


@contextmanager
def smtp_server(port: int) -> Iterator[list[Message]]:
    """An aiosmtpd server on 127.0.0.1:``port``; yields the messages it receives."""
    from aiosmtpd.controller import Controller

    received: list[Message] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(message_from_bytes(envelope.content))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield received
    finally:
        controller.stop()


def generator_reply(call: int) -> str:
    """Call ``call``'s scripted reply: 4 valid chat records, a duplicate, a non-JSON line, a wrong layout."""

    def record(i: int) -> str:
        turns = [
            {"role": "user", "content": f"How do I reset password {call}-{i}?"},
            {"role": "assistant", "content": f"Open settings, choose reset, code {call}-{i}."},
        ]
        return json.dumps({"messages": turns})

    lines = [
        record(0),
        record(1),
        record(0),
        "Sure! Here are records:",
        record(2),
        '{"text": "x"}',
        record(3),
    ]
    return "\n".join(lines)


class ScriptedGenerator:
    """A deterministic OpenAI-compatible `/v1/chat/completions` on 127.0.0.1 answering `generator_reply`."""

    def __init__(self) -> None:
        self.authorizations: list[str | None] = []
        seen = self.authorizations

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                seen.append(self.headers.get("Authorization"))
                message = {"role": "assistant", "content": generator_reply(len(seen) - 1)}
                body = json.dumps({"choices": [{"index": 0, "message": message}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
