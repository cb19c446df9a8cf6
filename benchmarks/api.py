"""(7) API: job-status p50/p99 and SSE event lag against a real `omnitune serve` (when it exists).

Run: .venv/bin/python -m benchmarks.run --only api
"""

from __future__ import annotations

import importlib.util
from typing import Any

from benchmarks.common import BenchResult, Profile
from benchmarks.fixtures import Workspace


def run(profile: Profile, ws: Workspace, shared: dict[str, Any]) -> BenchResult:
    """Skipped until the API (omnitune.api.app and the `serve` command) is in this tree."""
    from omnitune.cli.main import COMMAND_MODULES

    missing = [
        name
        for name, present in (
            ("omnitune.api.app", importlib.util.find_spec("omnitune.api.app") is not None),
            ("`omnitune serve`", "serve" in COMMAND_MODULES),
        )
        if not present
    ]
    return BenchResult(
        name="api",
        title="API job-status latency and SSE lag",
        skipped=f"skipped: {', '.join(missing)} not in this tree yet"
        if missing
        else "skipped: API benchmark not written yet",
    )
