"""Process identity: a pid plus its start time, so a recycled pid is never mistaken for our worker."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import psutil

_START_TIME_TOLERANCE_S = 1.0


def start_time(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), or None if it does not exist."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def is_alive(pid: int | None, started_at: float | None) -> bool:
    """True if ``pid`` runs and is the same process that started at ``started_at``."""
    if pid is None:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            _reap(pid)
            return False
        created = proc.create_time()
    except psutil.Error:
        return False
    return started_at is None or abs(created - started_at) < _START_TIME_TOLERANCE_S


def signal_group(pid: int, sig: signal.Signals) -> bool:
    """Send ``sig`` to the process group led by ``pid`` (the worker and anything it started)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    return True


def terminate_group(pid: int, started_at: float | None, grace_s: float) -> bool:
    """SIGTERM the group, SIGKILL it after ``grace_s``; True if it had to be killed."""
    if not is_alive(pid, started_at):
        return False
    signal_group(pid, signal.SIGTERM)
    if wait_gone(pid, started_at, grace_s):
        return False
    signal_group(pid, signal.SIGKILL)
    wait_gone(pid, started_at, 5.0)
    return True


def wait_gone(pid: int, started_at: float | None, timeout_s: float) -> bool:
    """Wait until the process is gone; True if it went within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while is_alive(pid, started_at):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # only succeeds for our own children
