"""The readable table: printed, and written to results/summary.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS_DIR


def _mark(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: ""}[met]


def table(results: list[dict[str, Any]]) -> str:
    """A Markdown table (benchmark, figure, value, target, met) from results in their JSON form."""
    lines = ["| benchmark | figure | value | target | met |", "|---|---|---|---|---|"]
    for result in results:
        if result["skipped"]:
            lines.append(f"| {result['name']} | {result['skipped']} | | | |")
            continue
        for f in result["figures"]:
            sign = "≥" if f["higher"] else "≤"
            target = "" if f["target"] is None else f"{sign} {f['target']:g} {f['unit']}".strip()
            value = f"{f['value']} {f['unit']}".strip()
            lines.append(f"| {result['name']} | {f['name']} | {value} | {target} | {_mark(f['met'])} |")
    return "\n".join(lines)


def load_results(names: tuple[str, ...], directory: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    """Every results/<name>.json present, in benchmark order (a partial rerun updates its rows)."""
    paths = [directory / f"{name}.json" for name in names]
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths if p.is_file()]


def write_summary(
    results: list[dict[str, Any]], machine: dict[str, Any], profile: str, directory: Path = RESULTS_DIR
) -> Path:
    """results/summary.md: the table, the machine and the profile it ran with."""
    directory.mkdir(parents=True, exist_ok=True)
    header = (
        f"# omnitune benchmarks ({profile})\n\n"
        f"Machine: {machine['platform']}, {machine['cpus']} CPUs, torch {machine['torch']}, "
        f"CUDA {machine['cuda']}, load average {machine['loadavg_1m']} at {machine['time_utc']}.\n"
        "Ratios come from alternating runs on the same machine; absolute numbers drift with load.\n\n"
    )
    path = directory / "summary.md"
    path.write_text(header + table(results) + "\n", encoding="utf-8")
    return path
