"""Studio features around a real trained job, through HTTP against a real `omnitune serve`.

Vault credentials reach the job's worker (and nowhere on disk); an evaluation's quality gates
notify in-app, by webhook and by email.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from local_sinks import WebhookReceiver, smtp_server
from studio_helpers import Studio, free_port, running_studio, sse_events, write_chat_data

sys.path.insert(0, str(Path(__file__).parents[1]))
from recipes_for_tests import worker_pythonpath

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRET = "hf_" + "studio-worker-secret-" * 2


@dataclass
class TrainedStudio:
    """A studio with one finished tiny-LLM job (trained with a credential in the owner's vault)."""

    studio: Studio
    job_id: str
    version: dict[str, Any]
    probe: Path
    webhook: WebhookReceiver
    mail: list[Message]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainedStudio]:
    root = tmp_path_factory.mktemp("studio-jobs")
    probe, smtp_port, webhook = root / "probe.jsonl", free_port(), WebhookReceiver()
    env = {
        "PYTHONPATH": worker_pythonpath(),
        "OMNITUNE_TEST_CREDENTIAL_PROBE": str(probe),
        "OMNITUNE_SMTP_HOST": "127.0.0.1",
        "OMNITUNE_SMTP_PORT": str(smtp_port),
    }
    with smtp_server(smtp_port) as mail, running_studio(root, env) as studio:
        client = studio.client()
        assert client.put("/api/training/credentials/hf_token", json={"value": SECRET}).status_code == 200
        prefs = {"webhook_url": webhook.url, "email": "ops@example.com"}
        assert client.put("/api/training/notifications/preferences", json=prefs).status_code == 200
        job_id = _train(studio)
        version = client.get(f"/api/training/jobs/{job_id}").json()["model_versions"][0]
        yield TrainedStudio(studio, job_id, version, probe, webhook, mail)
    webhook.server.shutdown()


def _train(studio: Studio) -> str:
    client = studio.client()
    data = write_chat_data(studio.data_dir / "chat.jsonl", records=24)
    options = {"base_model": "omnitune/tiny-llama", "data_path": str(data)}
    plan = client.post(
        "/api/training/parse-intent", json={"prompt": "a support chat model", "options": options}
    )
    approved = client.post(f"/api/training/plans/{plan.json()['plan']['id']}/approve", json={"max_steps": 2})
    assert approved.status_code == 200, approved.text
    job_id = str(approved.json()["jobs"][0]["id"])
    with client.stream("GET", f"/api/training/jobs/{job_id}/stream") as response:
        frames = list(sse_events(response))
    assert frames[-1]["data"]["state"] == "succeeded", frames[-3:]
    return job_id


def _wait(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} in {timeout}s"
        time.sleep(0.1)


def test_the_owners_credential_reaches_the_worker_and_is_nowhere_on_disk(trained: TrainedStudio) -> None:
    seen = {Path(r["cwd"]).name: r["seen"] for r in map(json.loads, trained.probe.read_text().splitlines())}
    assert seen[trained.job_id] == {"HF_TOKEN": hashlib.sha256(SECRET.encode()).hexdigest()}
    home = trained.studio.home
    job_dir = home / "jobs" / trained.job_id
    assert (job_dir / "plan.json").is_file() and (job_dir / "events.jsonl").is_file()
    leaked = [p for p in home.parent.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert leaked == []  # job dir, logs, store, serve.log


def test_evaluation_gates_notify_in_app_by_webhook_and_by_email(trained: TrainedStudio) -> None:
    client = trained.studio.client()
    gates = ["loss < 1000", "exact_match >= 2"]
    url = f"/api/training/evaluate/{trained.version['id']}"
    report = client.post(url, json={"gates": gates, "limit": 2, "max_new_tokens": 2})
    assert report.status_code == 200, report.text
    assert [g["passed"] for g in report.json()["gates"]] == [True, False]

    body = trained.webhook.wait_for("gates_failed")
    assert [(g["gate"], g["passed"]) for g in body["omnitune"]["gates"]] == [
        (gates[0], True),
        (gates[1], False),
    ]
    assert body["omnitune"]["job_id"] == trained.job_id
    assert "failed 1 of 2 quality gates" in body["text"] and "FAIL exact_match >= 2" in body["text"]
    with client.stream("GET", "/api/training/notifications/stream") as response:
        kinds = []
        for frame in sse_events(response):
            kinds.append(frame["data"]["kind"])
            if frame["data"]["kind"] == "gates_failed":
                break
    assert "gates_failed" in kinds
    _wait(
        lambda: any("quality gates" in " ".join(str(m["Subject"]).split()) for m in trained.mail),
        "gate email",
    )
    bad = client.post(url, json={"gates": ["loss is nice"], "limit": 1})
    assert bad.status_code == 422 and "quality gate" in bad.json()["error"]["message"]
