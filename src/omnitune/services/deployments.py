"""Deployments started from the studio: `omnitune models serve` processes on free 127.0.0.1 ports.

Each is its own process (a model crash never takes the studio down); the studio stops them when it
shuts down or when asked.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnitune.settings import get_settings
from omnitune.store.records import ModelVersionRecord

READY_TIMEOUT_S = 120.0


class DeploymentError(RuntimeError):
    """The model server did not come up; the message holds its log's tail."""


@dataclass
class Deployment:
    """A running OpenAI-compatible endpoint for one version."""

    version: ModelVersionRecord
    user_id: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def info(self) -> dict[str, Any]:
        """What the API shows."""
        return {"model_id": self.version.id, "model": self.version.ref, "url": f"{self.url}/v1",
                "pid": self.process.pid, "running": self.process.poll() is None}  # fmt: skip


_deployments: dict[str, Deployment] = {}
_lock = threading.Lock()


def deploy(user_id: str, version: ModelVersionRecord) -> Deployment:
    """Start (or return the running) endpoint for a version; waits until it answers /health."""
    with _lock:
        current = _deployments.get(version.id)
        if current is not None and current.process.poll() is None:
            return current
        port = _free_port()
        log = get_settings().home / "deployments" / f"{version.id}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "omnitune", "models", "serve", version.id, "--port", str(port)]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, stdout=out, stderr=out, start_new_session=True, env=os.environ.copy()
            )
        deployment = Deployment(version, user_id, f"http://127.0.0.1:{port}", process, log)
        _deployments[version.id] = deployment
    _wait_ready(deployment)
    return deployment


def list_deployments(user_id: str | None) -> list[Deployment]:
    """Deployments of one user (None: all)."""
    return [d for d in _deployments.values() if user_id is None or d.user_id == user_id]


def stop(version_id: str) -> bool:
    """Stop a version's endpoint; True when one was running."""
    with _lock:
        deployment = _deployments.pop(version_id, None)
    if deployment is None:
        return False
    _terminate(deployment.process)
    return True


def stop_all() -> None:
    """Stop every endpoint (studio shutdown)."""
    for version_id in list(_deployments):
        stop(version_id)


def _wait_ready(deployment: Deployment) -> None:
    import httpx

    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if deployment.process.poll() is not None:
            break
        try:
            if httpx.get(f"{deployment.url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    stop(deployment.version.id)
    tail = deployment.log.read_text(errors="replace")[-800:]
    raise DeploymentError(f"the model server for {deployment.version.ref} did not start:\n{tail}")


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
