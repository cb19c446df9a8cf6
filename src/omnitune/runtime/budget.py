"""The budget meter: cost = device seconds x hourly rate / 3600 + storage, with alerts at 80% and 95%."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ALERT_THRESHOLDS = (80, 95)
_STORAGE_REFRESH_S = 10.0
_HOURS_PER_MONTH = 730.0


@dataclass
class BudgetMeter:
    """Meters one worker run on top of the device time earlier runs of the job already used."""

    hourly_rate_usd: float
    budget_usd: float | None
    prior_device_s: float = 0.0
    storage_usd_per_gb_month: float = 0.0
    storage_root: Path | None = None
    alerts_sent: set[int] = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)
    _storage_gb: float = 0.0
    _storage_checked: float = -1e9

    @property
    def device_s(self) -> float:
        """Device seconds used by the job so far (all runs)."""
        return self.prior_device_s + (time.monotonic() - self.started)

    def cost_usd(self) -> float:
        """Cost so far: device time at the hourly rate plus storage held over that time."""
        hours = self.device_s / 3600.0
        storage = self._stored_gb() * self.storage_usd_per_gb_month * hours / _HOURS_PER_MONTH
        return hours * self.hourly_rate_usd + storage

    def fraction_used(self) -> float | None:
        """Cost / budget, or None without a budget."""
        if self.budget_usd is None:
            return None
        if self.budget_usd == 0:
            return float("inf")
        return self.cost_usd() / self.budget_usd

    def new_alerts(self) -> list[dict[str, Any]]:
        """Threshold crossings not yet reported (each exactly once per budget)."""
        used = self.fraction_used()
        if used is None:
            return []
        alerts = []
        for percent in ALERT_THRESHOLDS:
            if used * 100 >= percent and percent not in self.alerts_sent:
                self.alerts_sent.add(percent)
                alerts.append(
                    {"percent": percent, "budget_usd": self.budget_usd, "cost_usd": round(self.cost_usd(), 6)}
                )
        return alerts

    def exhausted(self) -> bool:
        """True once the cost reached the budget."""
        used = self.fraction_used()
        return used is not None and used >= 1.0

    def _stored_gb(self) -> float:
        if self.storage_root is None or self.storage_usd_per_gb_month == 0:
            return 0.0
        now = time.monotonic()
        if now - self._storage_checked > _STORAGE_REFRESH_S:
            self._storage_checked = now
            self._storage_gb = _tree_bytes(self.storage_root) / 1e9
        return self._storage_gb


def prior_usage(events: list[dict[str, Any]], budget_usd: float | None) -> tuple[float, set[int]]:
    """Device seconds recorded by earlier runs, and alerts already sent for the current budget."""
    device_s = 0.0
    alerts: set[int] = set()
    for event in events:
        if isinstance(event.get("device_s"), int | float):
            device_s = max(device_s, float(event["device_s"]))
        if event.get("event") == "budget_alert" and event.get("budget_usd") == budget_usd:
            alerts.add(int(event["percent"]))
    return device_s, alerts


def _tree_bytes(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except FileNotFoundError:  # a checkpoint being renamed into place
            continue
    return total
