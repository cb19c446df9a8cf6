"""(7) API: job-status p50/p99 at a fixed request rate, and SSE event lag with many subscribers,
against a real `omnitune serve` on 127.0.0.1 (bounded: a few seconds of load, 20 events).

Run: .venv/bin/python -m benchmarks.run --only api
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, Figure, Profile, percentile
from benchmarks.fixtures import Workspace

RATE = 200  # requests per second
SUBSCRIBERS = 50
EVENTS = 20


def _queued_job(ws: Workspace) -> tuple[str, Path]:
    """A queued job (no supervisor runs it) whose events file the stream follows."""
    from omnitune.data.bench import write_chat_jsonl
    from omnitune.services import jobs, training

    data = write_chat_jsonl(ws.root / "api-chat.jsonl", 64, seed=3)
    plan = training.plan_for_training("fine-tune a small chat model", data_path=data,
                                      base_model="omnitune/tiny-llama", method="lora")  # fmt: skip
    job = training.submit_training(plan, data, max_steps=1, device="cpu").job
    from omnitune.runtime.jobdir import JobDir

    return job.id, JobDir(Path(jobs.get(job.id).job_dir)).events_file


def _serve() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "omnitune.cli.main", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--no-supervisor"]  # fmt: skip
    server = subprocess.Popen(
        command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return server, f"http://127.0.0.1:{port}"


async def _wait_ready(client: Any, url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            await client.get(f"{url}/api/training/jobs")
            return
        except Exception:  # not listening yet
            await asyncio.sleep(0.25)
    raise RuntimeError(f"omnitune serve did not answer on {url} within {seconds:.0f} s")


async def _status_latencies(client: Any, url: str, job_id: str, requests: int) -> list[float | None]:
    """Fire GET /jobs/{id} at RATE per second (open loop); milliseconds per response."""

    async def one() -> float | None:
        start = time.perf_counter()
        try:
            response = await client.get(f"{url}/api/training/jobs/{job_id}")
            response.raise_for_status()
        except Exception:  # an overloaded server drops connections: counted, not fatal
            return None
        return (time.perf_counter() - start) * 1000

    tasks = []
    for _ in range(requests):
        tasks.append(asyncio.create_task(one()))
        await asyncio.sleep(1 / RATE)
    return list(await asyncio.gather(*tasks))


async def _sse_lags(client: Any, url: str, job_id: str, events_file: Path) -> list[float]:
    """SUBSCRIBERS streams; EVENTS appended to the job's events file; lag from write to receipt."""
    from omnitune.runtime.events import append_event

    lags: list[float] = []

    async def subscribe() -> None:
        seen = 0
        async with client.stream("GET", f"{url}/api/training/jobs/{job_id}/stream") as response:
            async for line in response.aiter_lines():
                if line.startswith("data:") and '"bench_sent"' in line:
                    lags.append((time.time() - json.loads(line[5:])["bench_sent"]) * 1000)
                    seen += 1
                    if seen == EVENTS:
                        return

    subscribers = [asyncio.create_task(subscribe()) for _ in range(SUBSCRIBERS)]
    await asyncio.sleep(2.0)  # let every subscriber connect and read the backlog
    for _ in range(EVENTS):
        append_event(events_file, "log", bench_sent=time.time())
        await asyncio.sleep(0.1)
    await asyncio.wait_for(asyncio.gather(*subscribers), timeout=60)
    return lags


async def _measure(url: str, token: str, job_id: str, events_file: Path, requests: int) -> dict[str, Any]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=SUBSCRIBERS + 100)
    async with httpx.AsyncClient(headers=headers, timeout=30, limits=limits) as client:
        await _wait_ready(client, url)
        status = await _status_latencies(client, url, job_id, requests)
        lags = await _sse_lags(client, url, job_id, events_file)
    return {"status_ms": status, "sse_lag_ms": lags}


def run(profile: Profile, ws: Workspace, shared: dict[str, Any]) -> BenchResult:
    """Start the server on a free port, measure, stop it."""
    from omnitune.services import users

    token = users.ensure_first_admin() or users.issue_token("admin", "bench")
    job_id, events_file = _queued_job(ws)
    server, url = _serve()
    requests = RATE * (1 if profile.name == "smoke" else 3)
    try:
        measured = asyncio.run(_measure(url, token, job_id, events_file, requests))
    finally:
        server.terminate()
        server.wait(20)
    answered = [ms for ms in measured["status_ms"] if ms is not None]
    status, lags = answered or [float("nan")], measured["sse_lag_ms"] or [float("nan")]
    return BenchResult(
        name="api",
        title=f"API: job status at {RATE} req/s, SSE lag with {SUBSCRIBERS} subscribers",
        figures=[
            Figure("job status p50", round(percentile(status, 50), 1), "ms", higher=False),
            Figure("job status p99", round(percentile(status, 99), 1), "ms", higher=False),
            Figure("job status failed requests", requests - len(answered), "", higher=False),
            Figure("SSE lag p50", round(percentile(lags, 50), 1), "ms", higher=False),
            Figure("SSE lag p99", round(percentile(lags, 99), 1), "ms", higher=False),
        ],
        details={
            "requests": requests,
            "rate": RATE,
            "subscribers": SUBSCRIBERS,
            "events": EVENTS,
            "deliveries": len(lags),
        },
    )
