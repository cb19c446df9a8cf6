"""Studio features around a real trained job, through HTTP against a real `omnitune serve`.

Vault credentials reach the job's worker (and nowhere on disk); an evaluation's quality gates
notify in-app, by webhook and by email; synthetic data from a scripted generator and from the
trained tiny model deployed as a real OpenAI-compatible server.
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
from local_sinks import ScriptedGenerator, WebhookReceiver, generator_reply, smtp_server
from studio_helpers import OMNITUNE, Studio, free_port, running_studio, sse_events, write_chat_data

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


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json()["error"])


def test_synthetic_data_counts_drops_dedupes_and_saves_a_trainable_dataset(trained: TrainedStudio) -> None:
    client, generator = trained.studio.client(), ScriptedGenerator()
    key = "sk-" + "generator-key-from-vault" * 2
    assert client.put("/api/training/credentials/openai_api_key", json={"value": key}).status_code == 200
    seed = json.loads(generator_reply(0).splitlines()[0])  # the generator's first record is a seed's copy
    body = {"description": "password reset help", "count": 6, "examples": [seed],
            "generator": f"openai:scripted@{generator.url}"}  # fmt: skip
    made = client.post("/api/training/synthetic-data", json=body)
    assert made.status_code == 201, made.text
    result = made.json()
    counts = {k: result[k] for k in ("requested", "generated", "invalid", "duplicates", "kept", "calls")}
    assert counts == {"requested": 6, "generated": 12, "invalid": 3, "duplicates": 3, "kept": 6, "calls": 2}
    assert "not in the chat layout" in result["problems"][1] and result["report"]["records"] == 6
    assert generator.authorizations == [f"Bearer {key}"] * 2
    dataset = result["dataset"]
    assert dataset["id"] in [d["id"] for d in client.get("/api/training/datasets").json()["datasets"]]
    lines = Path(dataset["path"]).read_text().splitlines()
    assert len(set(lines)) == 6 and json.dumps(seed) not in lines
    options = {"base_model": "omnitune/tiny-llama", "data_path": dataset["path"]}
    plan = client.post(
        "/api/training/parse-intent", json={"prompt": "a support chat model", "options": options}
    )
    assert plan.json()["plan"]["data"]["found_samples"] == 6
    generator.server.shutdown()


def test_synthetic_data_from_a_real_tiny_model_server_is_honest_about_junk(trained: TrainedStudio) -> None:
    client = trained.studio.client()
    served = client.post(f"/api/training/deploy/{trained.version['id']}")
    assert served.status_code == 200, served.text
    spec = f"openai:{served.json()['model']}@{served.json()['url']}"
    body = {"description": "password reset help", "count": 2, "generator": spec}
    error = _error(client.post("/api/training/synthetic-data", json=body), 422)
    assert error["field"] == "generator" and "gave no valid record in 2 call(s)" in error["message"]
    assert client.delete(f"/api/training/deploy/{trained.version['id']}").status_code == 204


def test_synthetic_data_bad_input_names_the_field(trained: TrainedStudio) -> None:
    client, url = trained.studio.client(), "/api/training/synthetic-data"
    assert _error(client.post(url, json={"generator": "openai:m@http://127.0.0.1:9"}), 422)
    local = {"description": "x", "generator": "local:/etc"}
    assert "CLI" in _error(client.post(url, json=local), 422)["message"]
    bad_seed = {"examples": [{"text": "no"}], "generator": "openai:m@http://127.0.0.1:9"}
    assert _error(client.post(url, json=bad_seed), 422)["field"] == "examples.0"
    nowhere = {"description": "x", "count": 1, "generator": f"openai:m@http://127.0.0.1:{free_port()}"}
    assert "unreachable" in _error(client.post(url, json=nowhere), 422)["message"]


def test_cli_data_synthesize_shares_the_service(trained: TrainedStudio, tmp_path: Path) -> None:
    import subprocess

    generator = ScriptedGenerator()
    out = tmp_path / "qa.jsonl"
    args = [OMNITUNE, "data", "synthesize", "--generator", f"openai:m@{generator.url}", "--out", str(out),
            "--description", "password reset help", "--count", "3"]  # fmt: skip
    done = subprocess.run(args, env={**trained.studio.env, "OPENAI_API_KEY": "sk-cli"}, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 generated in 1 call(s): 1 invalid, 1 duplicates, 3 kept" in done.stdout
    assert len(out.read_text().splitlines()) == 3 and generator.authorizations == ["Bearer sk-cli"]
    generator.server.shutdown()
