"""Notifications over real local endpoints: a webhook receiver and an aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from studio_port import free_port

from omnitune.runtime.events import append_event, iter_events
from omnitune.services import delivery, notifications, users
from omnitune.services.notifications import Kind, Notifier, Preferences
from omnitune.store import jobs as store_jobs
from omnitune.store import ownership


class Receiver:
    """A local webhook endpoint that answers 503 to the first ``fail_first`` POSTs."""

    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.attempts += 1
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                ok = receiver.attempts > fail_first
                if ok:
                    receiver.bodies.append(body)
                self.send_response(200 if ok else 503)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.server.shutdown()


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(message_from_bytes(envelope.content))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("OMNITUNE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("OMNITUNE_SMTP_PORT", str(port))
    yield received
    controller.stop()


def test_webhook_retries_with_backoff_until_delivered() -> None:
    flaky = Receiver(fail_first=2)
    try:
        assert delivery.send_webhook(flaky.url, delivery.slack_payload("hi", {}), backoff_s=0.01) == 3
        assert flaky.bodies == [{"text": "hi", "blocks": flaky.bodies[0]["blocks"], "omnitune": {}}]
        down = Receiver(fail_first=99)
        with pytest.raises(delivery.DeliveryError, match=r"after 3 attempts .*HTTP 503"):
            delivery.send_webhook(down.url, {"text": "x"}, attempts=3, backoff_s=0.01)
        down.server.shutdown()
    finally:
        flaky.server.shutdown()


def test_email_goes_through_the_smtp_server(smtp: list[Any]) -> None:
    delivery.send_email("ada@example.com", "[omnitune] done", "job finished")
    assert len(smtp) == 1 and smtp[0]["To"] == "ada@example.com" and smtp[0]["Subject"] == "[omnitune] done"


def test_email_without_a_server_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMNITUNE_SMTP_HOST", raising=False)
    with pytest.raises(delivery.DeliveryError, match="OMNITUNE_SMTP_HOST"):
        delivery.send_email("ada@example.com", "s", "b")


def test_preferences_reject_bad_urls_and_unknown_events() -> None:
    with pytest.raises(ValueError, match="http"):
        Preferences(webhook_url="file:///etc/passwd")
    with pytest.raises(ValueError):
        Preferences.model_validate({"events": ["job_exploded"]})


def test_notifier_sends_each_job_event_once_on_every_chosen_channel(
    tmp_path: Path, receiver: Receiver, smtp: list[Any]
) -> None:
    ada = users.add_user("ada", email="ada@example.com")
    notifications.set_preferences(
        ada.id,
        Preferences(
            webhook_url=receiver.url,
            events=[Kind.JOB_STARTED, Kind.JOB_FINISHED, Kind.BUDGET_80, Kind.BUDGET_95, Kind.BUDGET_100],
        ),
    )
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    job = store_jobs.insert_job(
        id="job1",
        plan_id="p1",
        recipe="llm_sft",
        state="queued",
        job_dir=str(job_dir),
        base_model="omnitune/tiny-llama",
        method="lora",
    )
    ownership.set_owner("job", job.id, ada.id)
    events = job_dir / "events.jsonl"
    append_event(events, "state", state="queued", reason="submitted")
    append_event(events, "state", state="running", reason="worker started")
    append_event(events, "metrics", step=1, loss=2.0)
    for percent in (80, 95):
        append_event(events, "budget_alert", percent=percent, budget_usd=1.0, cost_usd=percent / 100)
    append_event(events, "state", state="budget_frozen", reason="budget $1 reached")

    assert Notifier().tick() == 4
    append_event(events, "state", state="failed", reason="not wanted by ada")
    append_event(events, "state", state="succeeded", reason="finished 3 steps")
    notifier = Notifier()
    assert notifier.tick() == 2 and notifier.tick() == 0 and Notifier().tick() == 0

    kinds = ["job_started", "budget_80", "budget_95", "budget_100", "job_finished"]
    inbox = iter_events(notifications.inbox_file(ada.id))
    assert [n["kind"] for n in inbox] == kinds
    assert [b["omnitune"]["kind"] for b in receiver.bodies] == kinds
    assert "job job1 (omnitune/tiny-llama · lora) finished: finished 3 steps" in receiver.bodies[-1]["text"]
    assert [m["Subject"].split("job1")[0] for m in smtp] == ["[omnitune] job "] * 5
    assert all(m["To"] == "ada@example.com" for m in smtp)


def test_gate_results_notify_pass_or_fail_per_gate_on_every_channel(
    receiver: Receiver, smtp: list[Any]
) -> None:
    from omnitune.evaluate.gates import check_gates

    ada = users.add_user("ada", email="ada@example.com")
    notifications.set_preferences(ada.id, Preferences(webhook_url=receiver.url))
    gates = check_gates(["eval_loss < 3", "exact_match >= 0.5"], {"eval_loss": 2.5, "exact_match": 0.25}, {})
    assert notifications.notify_gates(ada.id, "support:v1", "job1", gates) == []
    assert notifications.notify_gates(ada.id, "support:v1", "job1", []) == []  # no gates: nothing to say

    (note,) = list(iter_events(notifications.inbox_file(ada.id)))
    assert note["kind"] == "gates_failed" and note["job_id"] == "job1"
    assert [(g["gate"], g["passed"]) for g in note["gates"]] == [
        ("eval_loss < 3", True),
        ("exact_match >= 0.5", False),
    ]
    assert "support:v1 failed 1 of 2 quality gates: PASS eval_loss < 3" in note["text"]
    assert (
        receiver.bodies[0]["omnitune"]["gates"] == note["gates"] and "FAIL exact_match" in smtp[0]["Subject"]
    )

    notifications.set_preferences(ada.id, Preferences(events=[Kind.GATES_PASSED]))  # failures unwanted
    notifications.notify_gates(ada.id, "support:v1", "job1", gates)
    notifications.notify_gates(ada.id, "support:v1", "job1", gates[:1])
    assert [n["kind"] for n in iter_events(notifications.inbox_file(ada.id))] == [
        "gates_failed",
        "gates_passed",
    ]
