"""Notifications: job events and quality-gate results become in-app messages, webhooks and emails.

A `Notifier` (run by `omnitune serve`) reads every owned job's `events.jsonl` from where it last
stopped (offsets kept in `<home>/notifications/offsets.json`), so each event notifies once.
In-app messages are appended to `<home>/notifications/<user>.jsonl`, the file the SSE stream reads.
"""

from __future__ import annotations

import json
import logging
import threading
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from omnitune.evaluate.gates import GateResult
from omnitune.runtime.events import append_event, now_iso, read_events
from omnitune.runtime.jobdir import JobDir, write_atomic
from omnitune.services import delivery
from omnitune.settings import get_settings
from omnitune.store import jobs as store_jobs
from omnitune.store import notification_prefs, ownership
from omnitune.store import users as store_users

log = logging.getLogger("omnitune.notifications")


class Kind(StrEnum):
    """What a notification is about."""

    JOB_STARTED = "job_started"
    JOB_FINISHED = "job_finished"
    JOB_FAILED = "job_failed"
    BUDGET_80 = "budget_80"
    BUDGET_95 = "budget_95"
    BUDGET_100 = "budget_100"
    GATES_PASSED = "gates_passed"
    GATES_FAILED = "gates_failed"


class Preferences(BaseModel):
    """Where a user's notifications go and which ones they want."""

    model_config = ConfigDict(extra="forbid")

    in_app: bool = True
    webhook_url: str | None = Field(None, max_length=2000, description="Slack-compatible incoming webhook.")
    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    events: list[Kind] = Field(default_factory=lambda: list(Kind))

    @field_validator("webhook_url")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value or None


def get_preferences(user_id: str) -> Preferences:
    """A user's preferences (defaults: in-app, every event)."""
    return Preferences.model_validate(notification_prefs.get_prefs(user_id) or {})


def set_preferences(user_id: str, prefs: Preferences) -> Preferences:
    """Replace a user's preferences."""
    notification_prefs.put_prefs(user_id, prefs.model_dump(mode="json"))
    return prefs


def kind_of(event: dict[str, Any]) -> Kind | None:
    """The notification a job event calls for, if any."""
    if event.get("event") == "budget_alert":
        return {80: Kind.BUDGET_80, 95: Kind.BUDGET_95}.get(int(event.get("percent", 0)))
    if event.get("event") != "state":
        return None
    return {
        "running": Kind.JOB_STARTED,
        "succeeded": Kind.JOB_FINISHED,
        "failed": Kind.JOB_FAILED,
        "budget_frozen": Kind.BUDGET_100,
    }.get(str(event.get("state")))


def inbox_file(user_id: str) -> Path:
    """The user's in-app notifications (JSON lines, read by the SSE stream)."""
    return get_settings().home / "notifications" / f"{user_id}.jsonl"


def message_for(kind: Kind, job: store_jobs.JobRecord, event: dict[str, Any]) -> str:
    """One human line for a job notification."""
    what = f"job {job.id} ({job.base_model} · {job.method})"
    reason = event.get("reason") or ""
    return {
        Kind.JOB_STARTED: f"{what} started",
        Kind.JOB_FINISHED: f"{what} finished: {reason}",
        Kind.JOB_FAILED: f"{what} failed: {reason}",
        Kind.BUDGET_80: f"{what} used 80% of its ${event.get('budget_usd')} budget",
        Kind.BUDGET_95: f"{what} used 95% of its ${event.get('budget_usd')} budget",
        Kind.BUDGET_100: f"{what} spent its budget and is frozen: {reason}",
    }[kind]


def notify(user_id: str, kind: Kind, job: store_jobs.JobRecord, event: dict[str, Any]) -> list[str]:
    """Deliver one job notification on every channel the user chose; returns the channels that failed."""
    details = {"kind": kind.value, "job_id": job.id, "state": event.get("state"), "ts": event.get("ts")}
    return deliver(user_id, kind, message_for(kind, job, event), details)


def notify_gates(user_id: str, model: str, job_id: str | None, gates: list[GateResult]) -> list[str]:
    """Deliver an evaluation's quality-gate results (pass/fail per gate); returns the channels that failed."""
    if not gates:
        return []
    failed = [g for g in gates if not g.passed]
    kind = Kind.GATES_FAILED if failed else Kind.GATES_PASSED
    verdict = f"failed {len(failed)} of {len(gates)}" if failed else f"passed all {len(gates)}"
    lines = "; ".join(f"{'PASS' if g.passed else 'FAIL'} {g.gate} ({g.detail})" for g in gates)
    details = {
        "kind": kind.value,
        "job_id": job_id,
        "model": model,
        "gates": [g.model_dump() for g in gates],
        "ts": now_iso(),
    }
    return deliver(user_id, kind, f"{model} {verdict} quality gates: {lines}", details)


def deliver(user_id: str, kind: Kind, text: str, details: dict[str, Any]) -> list[str]:
    """Send ``text`` on the user's chosen channels if they want ``kind``; returns the channels that failed."""
    prefs = get_preferences(user_id)
    if kind not in prefs.events:
        return []
    failed = []
    if prefs.in_app:
        path = inbox_file(user_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        append_event(path, "notification", text=text, **details)
    channels = {"webhook": prefs.webhook_url, "email": prefs.email or _account_email(user_id)}
    for channel, target in channels.items():
        if not target:
            continue
        try:
            if channel == "webhook":
                delivery.send_webhook(target, delivery.slack_payload(text, details))
            else:
                delivery.send_email(
                    target, f"[omnitune] {text}", f"{text}\n\n{json.dumps(details, indent=2)}\n"
                )
        except (delivery.DeliveryError, OSError) as exc:
            log.warning("%s notification %s failed: %s", channel, kind.value, exc)
            failed.append(channel)
    return failed


def _account_email(user_id: str) -> str | None:
    return store_users.get_user(user_id).email or None


class Notifier:
    """Turns new events of owned jobs into notifications; call `tick()` periodically."""

    def __init__(self) -> None:
        self.offsets_file = get_settings().home / "notifications" / "offsets.json"
        self.offsets: dict[str, int] = self._load()

    def tick(self) -> int:
        """Notify for every new event since the last tick; returns how many notifications went out."""
        sent = 0
        for job_id, user_id in ownership.owners("job").items():
            job = store_jobs.get_job(job_id)
            events, offset = read_events(JobDir(Path(job.job_dir)).events_file, self.offsets.get(job_id, 0))
            for event in events:
                if (kind := kind_of(event)) is not None:
                    notify(user_id, kind, job, event)
                    sent += 1
            if offset != self.offsets.get(job_id, 0):
                self.offsets[job_id] = offset
                write_atomic(self.offsets_file, json.dumps(self.offsets))
        return sent

    def run(self, stop: threading.Event, poll_s: float = 1.0) -> None:
        """Tick until ``stop``; a failing tick is logged and retried."""
        while not stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("notifier tick failed; retrying")
            stop.wait(poll_s)

    def _load(self) -> dict[str, int]:
        try:
            return {str(k): int(v) for k, v in json.loads(self.offsets_file.read_text()).items()}
        except (FileNotFoundError, ValueError, AttributeError):
            return {}
