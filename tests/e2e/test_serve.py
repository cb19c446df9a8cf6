"""`omnitune models serve`: a registered tiny model answers the official OpenAI client over real HTTP on
127.0.0.1 (chat, streaming, completions, embeddings), and usage is counted against the version."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "integration"))
from registry_helpers import register_directory, trained_lora

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    import uvicorn

    from omnitune.serving.runner import build_app

    trained = trained_lora(tmp_path_factory.mktemp("trained"))
    version = register_directory(trained / "out", "opp")
    from omnitune.registry.versions import set_alias

    set_alias("opp:v1", "production")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uv = uvicorn.Server(
        uvicorn.Config(build_app("opp@production"), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not uv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", version
    uv.should_exit = True
    thread.join(10)


def test_openai_client_chat_stream_completions_embeddings(server: tuple[str, Any]) -> None:
    import httpx
    from openai import OpenAI

    from omnitune.store import registry

    url, version = server
    client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list().data] == ["opp:v1"]
    messages: Any = [{"role": "user", "content": "opposite of hot"}]
    reply = client.chat.completions.create(model="opp", messages=messages, max_tokens=6, temperature=0)
    choice = reply.choices[0]
    assert choice.message.role == "assistant" and choice.finish_reason in ("stop", "length")
    assert reply.usage is not None and reply.usage.prompt_tokens > 3

    stream = client.chat.completions.create(
        model="opp", messages=messages, max_tokens=6, temperature=0, stream=True
    )
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == choice.message.content and chunks[-1].choices[0].finish_reason == "stop"

    text = client.completions.create(
        model="opp", prompt=["opposite of up", "hello"], max_tokens=4, temperature=0
    )
    assert (
        [c.index for c in text.choices] == [0, 1]
        and text.usage is not None
        and text.usage.completion_tokens > 0
    )
    sampled = client.completions.create(model="opp", prompt="a", max_tokens=5, temperature=1.0, seed=3)
    assert sampled.choices[0].finish_reason in ("stop", "length")

    vectors = client.embeddings.create(model="opp", input=["cold", "cold", "a long different sentence"]).data
    a, b, c = (v.embedding for v in vectors)
    assert (
        len(a) == 128
        and a == pytest.approx(b)
        and sum(x * y for x, y in zip(a, a, strict=True)) == pytest.approx(1)
    )
    assert sum(x * y for x, y in zip(a, c, strict=True)) < 0.9999

    bad = httpx.post(f"{url}/v1/chat/completions", json={"model": "opp", "messages": []})
    assert bad.status_code == 422
    usage = registry.usage_of(version.id)
    assert usage.requests == 5 and usage.prompt_tokens > 0 and usage.completion_tokens > 0
