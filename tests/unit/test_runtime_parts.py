"""Runtime building blocks: the event log, the budget meter, control requests, process identity."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from omnitune.runtime import control
from omnitune.runtime.budget import BudgetMeter, prior_usage
from omnitune.runtime.events import append_event, iter_events, read_events
from omnitune.runtime.jobdir import JobDir, JobSpec
from omnitune.runtime.process import is_alive, start_time


def test_event_log_skips_a_torn_line_and_the_next_writer_starts_a_fresh_one(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    append_event(log, "state", state="running")
    with log.open("ab") as handle:
        handle.write(b'{"ts": "2026-01-01T00:00:00", "event": "metr')  # a writer killed mid-line
    events, offset = read_events(log)
    assert [e["event"] for e in events] == ["state"]
    append_event(log, "metrics", step=3, loss=0.5)
    more, _ = read_events(log, offset)
    assert [(e["event"], e.get("step")) for e in more] == [("metrics", 3)]
    assert all("ts" in e for e in iter_events(log))


def test_events_are_strict_json_with_nan_and_inf_as_null(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    append_event(log, "eval", eval_loss=float("nan"), nested={"ppl": [float("inf"), 2.0]})
    assert "NaN" not in log.read_text() and "Infinity" not in log.read_text()
    (event,) = iter_events(log)
    assert event["eval_loss"] is None and event["nested"] == {"ppl": [None, 2.0]}


def test_budget_meter_alerts_once_per_threshold_then_reports_exhaustion() -> None:
    meter = BudgetMeter(hourly_rate_usd=3600.0, budget_usd=10.0)  # $1 per second
    meter.started = time.monotonic() - 8.5
    assert [a["percent"] for a in meter.new_alerts()] == [80]
    assert meter.new_alerts() == []
    assert not meter.exhausted()
    meter.started -= 1.5
    assert [a["percent"] for a in meter.new_alerts()] == [95]
    assert meter.exhausted() and meter.cost_usd() >= 10.0
    assert BudgetMeter(hourly_rate_usd=1.0, budget_usd=None).new_alerts() == []


def test_prior_usage_carries_device_time_and_alerts_of_the_same_budget_only() -> None:
    events = [
        {"event": "metrics", "device_s": 5.0},
        {"event": "budget_alert", "percent": 80, "budget_usd": 10.0, "device_s": 8.0},
        {"event": "budget_raised", "budget_usd": 50.0},
    ]
    assert prior_usage(events, 10.0) == (8.0, {80})
    assert prior_usage(events, 50.0) == (8.0, set())
    meter = BudgetMeter(hourly_rate_usd=3600.0, budget_usd=50.0, prior_device_s=8.0)
    assert meter.cost_usd() >= 8.0


def test_a_cancel_request_is_never_downgraded_to_a_pause(tmp_path: Path) -> None:
    path = tmp_path / "control"
    assert control.read_request(path) is None
    control.request(path, "pause")
    assert control.read_request(path) == "pause"
    control.request(path, "cancel")
    control.request(path, "pause")
    assert control.read_request(path) == "cancel"
    control.clear(path)
    assert control.read_request(path) is None


def test_a_recycled_pid_is_not_taken_for_our_worker() -> None:
    me = start_time(os.getpid())
    assert me is not None and is_alive(os.getpid(), me)
    assert not is_alive(os.getpid(), me - 3600)
    assert not is_alive(None, None)


def test_job_files_name_themselves_in_errors(tmp_path: Path) -> None:
    job = JobDir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"job\.json: missing"):
        job.read_spec()
    job.spec_file.write_text('{"job_id": 3}')
    with pytest.raises(ValueError, match=r"job\.json: not a valid JobSpec"):
        job.read_spec()
    job.write_spec(JobSpec(job_id="j", plan_id="p", recipe="r", data_dir="/d", max_steps=4))
    assert job.read_spec().max_steps == 4
