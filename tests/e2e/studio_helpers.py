"""A real `omnitune serve` subprocess on a free 127.0.0.1 port, for API and browser tests."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

OMNITUNE = str(Path(sys.executable).with_name("omnitune"))
TOKEN = re.compile(r"admin token \(shown once, keep it\): (ot_\S+)")


@dataclass
class Studio:
    """A running studio: base URL, admin token, its home and data folders."""

    url: str
    admin_token: str
    home: Path
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] = field(repr=False)

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client, authenticated with ``token`` (default: the admin's)."""
        headers = {"Authorization": f"Bearer {token or self.admin_token}"} if token != "" else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)

    def cli(self, *args: str) -> str:
        """Run `omnitune ARGS` against the studio's home; returns stdout."""
        done = subprocess.run([OMNITUNE, *args], env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_chat_data(path: Path, records: int = 40) -> Path:
    """A small chat JSONL the tiny LLM trains on in seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(records):
            turns = [
                {"role": "user", "content": f"What is {i} plus {i}?"},
                {"role": "assistant", "content": f"{i} plus {i} is {2 * i}."},
            ]
            handle.write(json.dumps({"messages": turns}) + "\n")
    return path


@contextmanager
def running_studio(root: Path, extra_env: dict[str, str] | None = None) -> Iterator[Studio]:
    """Start `omnitune serve` with its own home; stop it (and its jobs' workers finish) afterwards."""
    home, data_dir = root / "home", root / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "OMNITUNE_HOME": str(home),
        "OMNITUNE_DATA_ROOTS": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        **(extra_env or {}),
    }
    port = free_port()
    log = root / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([OMNITUNE, "serve", "--port", str(port)], env=env, stdout=out, stderr=out)
    try:
        token = _wait_ready(process, log, f"http://127.0.0.1:{port}")
        yield Studio(f"http://127.0.0.1:{port}", token, home, data_dir, env, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_ready(process: subprocess.Popen[bytes], log: Path, url: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        match = TOKEN.search(log.read_text())
        if match:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    return match.group(1)
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    raise AssertionError(f"studio did not start:\n{log.read_text()}")


def sse_events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """Parse a text/event-stream response into {'id', 'event', 'data'} frames."""
    frame: dict[str, Any] = {}
    for line in response.iter_lines():
        if not line:
            if "data" in frame:
                frame["data"] = json.loads(frame["data"])
                yield frame
            frame = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(": ")
            frame[key] = value
