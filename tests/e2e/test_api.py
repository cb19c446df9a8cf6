"""The studio API through HTTP against a real `omnitune serve` process: plan → edit → approve → live job."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from studio_helpers import Studio, running_studio, sse_events, write_chat_data

pytestmark = pytest.mark.e2e

PROMPT = "fine-tune a small chat model to answer support questions"


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    with running_studio(tmp_path_factory.mktemp("studio"), {"OMNITUNE_MAX_UPLOAD_MB": "1"}) as running:
        write_chat_data(running.data_dir / "chat.jsonl")
        yield running


def _plan(client: httpx.Client, studio: Studio) -> dict[str, Any]:
    body = {
        "prompt": PROMPT,
        "options": {"base_model": "omnitune/tiny-llama", "data_path": str(studio.data_dir / "chat.jsonl")},
    }
    response = client.post("/api/training/parse-intent", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json()["plan"])


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json()["error"])


def test_health_and_docs_need_no_token_everything_else_does(studio: Studio) -> None:
    anonymous = studio.client(token="")
    assert anonymous.get("/health").json()["status"] == "ok"
    assert anonymous.get("/api/training/health").status_code == 200
    assert "/api/training/parse-intent" in anonymous.get("/openapi.json").json()["paths"]
    assert anonymous.get("/docs").status_code == 200
    assert "token" in _error(anonymous.get("/api/training/jobs"), 401)["message"]
    assert _error(studio.client("ot_not-a-real-token").get("/api/training/jobs"), 401)
    assert studio.client().get("/api/me").json()["role"] == "admin"


def test_bad_input_is_a_json_error_naming_the_field(studio: Studio) -> None:
    client = studio.client()
    assert _error(client.post("/api/training/parse-intent", json={"prompt": ""}), 422)["field"] == "prompt"
    assert _error(client.post("/api/training/parse-intent", content=b"{not json"), 422)
    bad_method = {"prompt": PROMPT, "options": {"method": "telepathy"}}
    assert (
        _error(client.post("/api/training/parse-intent", json=bad_method), 422)["field"] == "options.method"
    )
    plan_id = _plan(client, studio)["id"]
    tiles = f"/api/training/plans/{plan_id}/tiles"
    assert _error(client.put(f"{tiles}/colour", json={"type": "red"}), 422)["field"] == "tile"
    assert _error(client.put(f"{tiles}/gpu", json={"type": "warp-drive"}), 422)["field"] == "type"
    assert _error(client.put(f"{tiles}/model", json={"base_model": "nope"}), 422)["field"] == "base_model"
    assert _error(client.put(f"{tiles}/gpu", json={"base_model": "x"}), 422)["field"] == "base_model"
    assert _error(client.put(f"{tiles}/budget", json={"budget_usd": -1}), 422)["field"] == "budget_usd"
    assert _error(client.get("/api/training/plans/nope"), 404)
    assert _error(client.get("/api/training/jobs/nope"), 404)["field"] == "job_id"
    assert _error(client.get("/api/training/jobs/nope/logs?lines=0"), 422)["field"] == "lines"


def test_data_paths_stay_inside_the_allowed_roots(studio: Studio, tmp_path: Path) -> None:
    client = studio.client()
    plan_id = _plan(client, studio)["id"]
    outside = write_chat_data(tmp_path / "outside.jsonl")
    link = studio.data_dir / "escape.jsonl"
    link.unlink(missing_ok=True)
    os.symlink(outside, link)
    for raw in (str(outside), str(studio.data_dir / ".." / "serve.log"), str(link)):
        error = _error(client.put(f"/api/training/plans/{plan_id}/tiles/data", json={"path": raw}), 422)
        assert error["field"] == "path" and "outside the allowed roots" in error["message"]
    error = _error(client.post(f"/api/training/plans/{plan_id}/approve", json={"data_path": str(link)}), 422)
    assert error["field"] == "data_path"


def test_tile_edits_replan_and_keep_user_hyperparameters(studio: Studio) -> None:
    client = studio.client()
    plan = _plan(client, studio)
    tiles = f"/api/training/plans/{plan['id']}/tiles"
    edited = client.put(f"{tiles}/hyperparameters", json={"values": {"learning_rate": 0.001}}).json()["plan"]
    assert edited["training"]["hyperparameters"]["learning_rate"] == 0.001
    on_gpu = client.put(f"{tiles}/gpu", json={"type": "a100-80gb"}).json()["plan"]
    assert on_gpu["training"]["gpu"]["type"] == "a100-80gb"
    assert on_gpu["estimates"]["cost_usd"]["total"] > plan["estimates"]["cost_usd"]["total"]
    assert on_gpu["training"]["hyperparameters"]["learning_rate"] == 0.001
    assert client.get(f"/api/training/plans/{plan['id']}").json()["plan"] == on_gpu


def test_a_vague_request_asks_questions_and_cannot_be_approved(studio: Studio) -> None:
    client = studio.client()
    plan = client.post("/api/training/parse-intent", json={"prompt": "make it better"}).json()["plan"]
    assert plan["questions"] and not plan["models"]
    error = _error(
        client.post(
            f"/api/training/plans/{plan['id']}/approve",
            json={"data_path": str(studio.data_dir / "chat.jsonl")},
        ),
        422,
    )
    assert error["code"] == "not_runnable"


@pytest.mark.slow
def test_plan_approve_stream_resume_websocket_logs_model_and_isolation(studio: Studio) -> None:
    client = studio.client()
    plan = _plan(client, studio)
    edit = {"values": {"batch_size": 4, "gradient_accumulation": 1}}
    assert client.put(f"/api/training/plans/{plan['id']}/tiles/hyperparameters", json=edit).status_code == 200
    approved = client.post(f"/api/training/plans/{plan['id']}/approve", json={"max_steps": 3})
    assert approved.status_code == 200, approved.text
    job_id = approved.json()["jobs"][0]["id"]
    _queued_job_controls(client, plan["id"])

    with client.stream("GET", f"/api/training/jobs/{job_id}/stream") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = list(sse_events(response))
    assert frames[-1]["event"] == "end" and frames[-1]["data"]["state"] == "succeeded"
    losses = [f["data"]["loss"] for f in frames if f["event"] == "metrics"]
    assert len(losses) == 3 and losses[-1] < losses[0]

    middle = frames[len(frames) // 2]
    with client.stream(
        "GET", f"/api/training/jobs/{job_id}/stream", headers={"Last-Event-ID": middle["id"]}
    ) as response:
        resumed = list(sse_events(response))
    assert [f["id"] for f in resumed[:-1]] == [f["id"] for f in frames[len(frames) // 2 + 1 : -1]]

    assert _websocket_ids(studio, job_id) == [f["id"] for f in frames[:-1]]
    log_lines = client.get(f"/api/training/jobs/{job_id}/logs?lines=5").json()["lines"]
    assert 0 < len(log_lines) <= 5
    detail = client.get(f"/api/training/jobs/{job_id}").json()
    assert detail["job"]["state"] == "succeeded" and detail["model_versions"]
    version = detail["model_versions"][0]
    assert client.get(f"/api/training/models/{version['id']}").json()["job_id"] == job_id
    assert version["id"] in [m["id"] for m in client.get("/api/training/models").json()["models"]]
    _other_user_sees_nothing(studio, plan["id"], job_id, version["id"])
    _notified_in_app(client, job_id)
    _side_by_side_session(studio, client, version)
    _evaluate(client, version, studio)
    _deploy(client, version)
    _registry_through_the_api(client, version)


def _side_by_side_session(studio: Studio, client: httpx.Client, version: dict[str, Any]) -> None:
    """Base and fine-tuned answer the same prompt; a rating becomes a DPO pair in the preference set."""
    session = client.post("/api/training/test/deploy", json={"model_id": version["id"]})
    assert session.status_code == 200, session.text
    sid = session.json()["session_id"]
    prompt = "What is 3 plus 3?"
    answers = client.post(
        "/api/training/test/run", json={"session_id": sid, "prompt": prompt, "max_tokens": 8}
    )
    assert set(answers.json()) == {"prompt", "base", "fine_tuned"}
    many = client.post(
        "/api/training/test/compare", json={"session_id": sid, "prompts": [prompt, "Hi"], "max_tokens": 8}
    ).json()
    assert [r["prompt"] for r in many["results"]] == [prompt, "Hi"]
    assert many["results"][0]["fine_tuned"] == answers.json()["fine_tuned"]  # greedy: repeatable
    unrun = {"session_id": sid, "prompt": "never asked", "chosen": "base"}
    assert _error(client.post("/api/training/test/rate", json=unrun), 422)["field"] == "prompt"
    rated = client.post(
        "/api/training/test/rate", json={"session_id": sid, "prompt": prompt, "chosen": "fine_tuned"}
    )
    assert rated.json() == {"preference_pairs": 1}
    me = client.get("/api/me").json()["id"]
    pair = json.loads((studio.home / "preferences" / f"{me}.jsonl").read_text())
    assert pair["prompt"] == prompt and pair["chosen"] == answers.json()["fine_tuned"]
    assert pair["rejected"] == answers.json()["base"]
    assert client.get(f"/api/training/test/sessions/{sid}").json()["prompts"] == 2
    assert client.delete(f"/api/training/test/sessions/{sid}").status_code == 204
    assert _error(client.get(f"/api/training/test/sessions/{sid}"), 404)


def _registry_through_the_api(client: httpx.Client, version: dict[str, Any]) -> None:
    """Tags, aliases, search, compare, statistics and delete on the trained version."""
    url = f"/api/training/models/{version['id']}"
    updated = client.put(url, json={"tags": {"team": "support"}, "aliases": ["production"]}).json()
    assert updated["tags"] == {"team": "support"} and updated["aliases"] == [f"{version['name']}@production"]
    assert _error(client.put(url, json={"aliases": ["bad alias!"]}), 422)["field"] == "aliases"
    by_alias = client.get(f"/api/training/models/{version['name']}@production").json()
    assert by_alias["id"] == version["id"]
    found = client.post("/api/training/models/search", json={"tags": {"team": "support"}}).json()["models"]
    assert [m["id"] for m in found] == [version["id"]]
    assert client.post("/api/training/models/search", json={"text": "no-such-model"}).json()["models"] == []
    compared = client.post(
        "/api/training/models/compare", json={"ids": [version["id"], version["id"]]}
    ).json()
    assert "final_loss" in compared["metrics"] and len(compared["models"]) == 2
    stats = client.get("/api/training/statistics").json()
    assert stats["jobs_by_state"]["succeeded"] >= 1 and stats["models"] >= 1
    assert _error(client.delete(url), 422)  # an alias still points at it
    assert client.delete(f"{url}?force=true").status_code == 204
    assert _error(client.get(url), 404)


def _notified_in_app(client: httpx.Client, job_id: str) -> None:
    """The owner's in-app stream carries the job's start and finish (and resumes after an id)."""
    kinds = []
    with client.stream("GET", "/api/training/notifications/stream") as response:
        for frame in sse_events(response):
            kinds.append((frame["id"], frame["data"]["kind"], frame["data"]["job_id"]))
            if frame["data"]["kind"] == "job_finished" and frame["data"]["job_id"] == job_id:
                break
    assert [k for _, k, j in kinds if j == job_id] == ["job_started", "job_finished"]
    with client.stream("GET", f"/api/training/notifications/stream?after={kinds[-2][0]}") as response:
        assert next(sse_events(response))["id"] == kinds[-1][0]


def _queued_job_controls(client: httpx.Client, plan_id: str) -> None:
    """A second job waits behind the first (one CPU slot): pause, resume and cancel it."""
    created = client.post("/api/training/jobs", json={"plan_id": plan_id, "max_steps": 1})
    assert created.status_code == 200, created.text
    second = created.json()["jobs"][0]
    paused = client.post(f"/api/training/jobs/{second['id']}/pause").json()["job"]
    assert paused["state"] == "paused"
    assert client.post(f"/api/training/jobs/{second['id']}/resume").json()["job"]["state"] == "queued"
    assert client.post(f"/api/training/jobs/{second['id']}/cancel").json()["job"]["state"] == "cancelled"
    again = client.post(f"/api/training/jobs/{second['id']}/cancel")
    assert _error(again, 409)["code"] == "conflict"


def _websocket_ids(studio: Studio, job_id: str) -> list[str]:
    from websockets.sync.client import connect

    url = studio.url.replace("http", "ws") + f"/api/training/jobs/{job_id}/ws"
    ids = []
    with connect(url, additional_headers={"Authorization": f"Bearer {studio.admin_token}"}) as socket:
        for message in socket:
            item = json.loads(message)
            if item["event"]["event"] == "end":
                break
            ids.append(str(item["id"]))
    return ids


def _other_user_sees_nothing(studio: Studio, plan_id: str, job_id: str, model_id: str) -> None:
    bob = studio.client(studio.cli("users", "add", "bob").strip())
    assert bob.get("/api/me").json() == {**bob.get("/api/me").json(), "name": "bob", "role": "user"}
    assert bob.get("/api/training/jobs").json()["jobs"] == []
    assert bob.get("/api/training/models").json()["models"] == []
    for path in (
        f"/api/training/jobs/{job_id}",
        f"/api/training/jobs/{job_id}/stream",
        f"/api/training/jobs/{job_id}/logs",
        f"/api/training/plans/{plan_id}",
        f"/api/training/models/{model_id}",
    ):
        assert _error(bob.get(path), 404)["code"] == "not_found", path
    assert _error(bob.post(f"/api/training/jobs/{job_id}/cancel"), 404)


def test_credentials_are_write_only_and_per_user(studio: Studio) -> None:
    client, secret = studio.client(), "sk-" + "do-not-echo-" * 3
    stored = client.put("/api/training/credentials/openai_api_key", json={"value": secret})
    assert stored.status_code == 200 and secret not in stored.text
    listed = client.get("/api/training/credentials")
    assert [c["name"] for c in listed.json()["credentials"]] == [
        "openai_api_key"
    ] and secret not in listed.text
    assert (
        _error(client.put("/api/training/credentials/ssh_key", json={"value": "x"}), 422)["field"] == "name"
    )
    assert (
        _error(client.put("/api/training/credentials/hf_token", json={"value": ""}), 422)["field"] == "value"
    )
    assert _error(client.get("/api/training/credentials/openai_api_key"), 405)
    carol = studio.client(studio.cli("users", "add", "carol").strip())
    assert carol.get("/api/training/credentials").json()["credentials"] == []
    assert _error(carol.delete("/api/training/credentials/openai_api_key"), 404)
    assert client.delete("/api/training/credentials/openai_api_key").status_code == 204
    log = (studio.home.parent / "serve.log").read_text()
    assert secret not in log


def test_notification_preferences_round_trip_and_validate(studio: Studio) -> None:
    client = studio.client()
    assert client.get("/api/training/notifications/preferences").json()["in_app"] is True
    prefs = {
        "in_app": True,
        "webhook_url": "https://hooks.example.com/x",
        "email": None,
        "events": ["job_finished", "job_failed"],
    }
    assert client.put("/api/training/notifications/preferences", json=prefs).json() == prefs
    assert client.get("/api/training/notifications/preferences").json() == prefs
    bad = {**prefs, "webhook_url": "ftp://nope"}
    assert (
        _error(client.put("/api/training/notifications/preferences", json=bad), 422)["field"] == "webhook_url"
    )
    assert client.put("/api/training/notifications/preferences", json={}).json()["events"][0] == "job_started"


def test_dataset_upload_inspect_limits_and_isolation(studio: Studio, tmp_path: Path) -> None:
    import zipfile

    client = studio.client()
    data = write_chat_data(tmp_path / "chat.jsonl").read_bytes()
    uploaded = client.post("/api/training/datasets", files={"file": ("../../evil name.jsonl", data)})
    assert uploaded.status_code == 201, uploaded.text
    upload = uploaded.json()
    assert upload["name"] == "evil-name.jsonl" and upload["bytes"] == len(data)
    assert Path(upload["path"]).is_relative_to(studio.home / "uploads")
    report = client.post(f"/api/training/datasets/{upload['id']}/inspect").json()
    assert report["records"] == 40 and report["modality"] == "llm"
    assert upload["id"] in [d["id"] for d in client.get("/api/training/datasets").json()["datasets"]]
    body = {"prompt": PROMPT, "options": {"base_model": "omnitune/tiny-llama", "data_path": upload["path"]}}
    assert client.post("/api/training/parse-intent", json=body).json()["plan"]["data"]["found_samples"] == 40

    big = client.post("/api/training/datasets", files={"file": ("big.jsonl", b"x" * (3 << 20))})
    assert _error(big, 413)["field"] == "file"
    for name, entry, mode in (("up.zip", "../escape.txt", 0o644), ("link.zip", "link", 0o120777)):
        archive = tmp_path / name
        with zipfile.ZipFile(archive, "w") as bundle:
            info = zipfile.ZipInfo(entry)
            info.external_attr = mode << 16
            bundle.writestr(info, "/etc/passwd")
        refused = client.post("/api/training/datasets", files={"file": (name, archive.read_bytes())})
        assert _error(refused, 422)["field"] == "file"
    assert _error(client.post("/api/training/datasets", files={"file": ("bad.zip", b"not a zip")}), 422)
    assert _error(client.post("/api/training/datasets"), 422)["field"] == "file"
    assert not any(p.name == "escape.txt" for p in studio.home.rglob("*"))

    dave = studio.client(studio.cli("users", "add", "dave").strip())
    assert dave.get("/api/training/datasets").json()["datasets"] == []
    assert _error(dave.post(f"/api/training/datasets/{upload['id']}/inspect"), 404)


def test_the_api_starts_without_importing_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from omnitune.api.app import create_app; create_app(True);"
        "import omnitune.runtime.supervisor, omnitune.services.notifications; print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr


def _evaluate(client: httpx.Client, version: dict[str, Any], studio: Studio) -> None:
    """Evaluate the trained version against its base on its own validation split; the report is stored."""
    url = f"/api/training/evaluate/{version['id']}"
    report = client.post(url, json={"against": "base", "limit": 4, "max_new_tokens": 4})
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["examples"] >= 1 and body["metrics"] and body["baseline_metrics"]
    assert _error(client.post(url, json={"against": str(studio.home)}), 422)["field"] == "against"
    assert _error(client.post(url, json={"data_path": "/etc/passwd"}), 422)["field"] == "path"
    evaluations = client.get(f"/api/training/models/{version['id']}").json()["evaluations"]
    assert len(evaluations) == 1


def _deploy(client: httpx.Client, version: dict[str, Any]) -> None:
    """The version served at an OpenAI-compatible endpoint, then stopped."""
    started = client.post(f"/api/training/deploy/{version['id']}")
    assert started.status_code == 200, started.text
    url = started.json()["url"]
    assert client.get("/api/training/deployments").json()["deployments"][0]["url"] == url
    completion = httpx.post(f"{url}/completions", json={"prompt": "1 plus 1", "max_tokens": 2}, timeout=60)
    assert completion.status_code == 200, completion.text
    assert client.delete(f"/api/training/deploy/{version['id']}").status_code == 204
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/models", timeout=2)
    assert _error(client.delete(f"/api/training/deploy/{version['id']}"), 404)
