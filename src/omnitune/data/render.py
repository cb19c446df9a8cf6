"""Human-readable (rich) rendering of inspection reports, manifests and failures for the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from omnitune.data.manifest import DatasetManifest
from omnitune.data.report import InspectionReport, Problem

SHOWN_PROBLEMS = 200
PREVIEW_CHARS = 600


def _scalar_stats(stats: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for key, value in stats.items():
        if isinstance(value, dict) and key == "tokens" and value.get("count"):
            value = ", ".join(f"{k} {value[k]}" for k in ("mean", "p50", "p90", "p99", "max", "total"))
        elif isinstance(value, dict) and key == "languages":
            value = ", ".join(f"{k} {v:.0%}" for k, v in value.items())
        elif isinstance(value, dict | list):
            value = json.dumps(value)[:200]
        rows.append((key.replace("_", " "), str(value)))
    return rows


def _problems_table(problems: list[Problem]) -> Table:
    table = Table(show_header=True, header_style="bold", expand=False)
    for column in ("", "where", "problem", "how to fix"):
        table.add_column(column, overflow="fold")
    for p in problems[:SHOWN_PROBLEMS]:
        mark = "[red]error[/]" if p.severity == "error" else "[yellow]warn[/]"
        table.add_row(mark, escape(p.located()), escape(p.message), escape(p.hint))
    return table


def render_report(console: Console, report: InspectionReport) -> None:
    """Print what `inspect` found: modality, format with evidence, stats, preview, problems, verdict."""
    console.print(f"[bold]Dataset[/] {escape(report.path)}")
    family = f" → {report.family.value}" if report.family else ""
    fmt = (
        f"{report.format}{family} (confidence {report.confidence:.0%})"
        if report.format
        else "[red]unknown[/]"
    )
    modality = report.modality.value if report.modality else "unknown"
    console.print(f"[bold]Modality[/] {modality}   [bold]Format[/] {escape(fmt)}")
    for line in report.evidence:
        console.print(f"  • {escape(line)}")
    console.print(f"[bold]Files[/] {report.files}   [bold]Records[/] {report.records}")
    for key, value in _scalar_stats(report.stats):
        console.print(f"  {key}: {escape(value)}")
    for index, example in enumerate(report.preview, start=1):
        text = json.dumps(example, ensure_ascii=False)
        more = "…" if len(text) > PREVIEW_CHARS else ""
        console.print(f"[bold]Example {index}[/] {escape(text[:PREVIEW_CHARS])}{more}")
    errors, warnings = len(report.errors), len(report.problems) - len(report.errors)
    if report.problems:
        console.print(f"[bold]Problems[/] {errors} error(s), {warnings} warning(s)")
        console.print(_problems_table(report.problems))
        if len(report.problems) > SHOWN_PROBLEMS:
            console.print(f"… {len(report.problems) - SHOWN_PROBLEMS} more (use --json to see all)")
    verdict = "[green]usable[/]" if report.usable else "[red]not usable[/]"
    console.print(f"[bold]Verdict[/] {verdict}")


def render_manifest(console: Console, manifest: DatasetManifest, out: Path) -> None:
    """Print where the prepared dataset went and what is in it."""
    splits = ", ".join(f"{name} {info.records}" for name, info in manifest.splits.items())
    console.print(
        f"[green]Prepared[/] {escape(str(out))}: {manifest.modality.value}/{manifest.family.value} "
        f"from {escape(manifest.source_format)}; {splits}"
    )
    console.print(f"  content hash {manifest.content_hash}")
    for key, value in manifest.stats.items():
        console.print(f"  {key.replace('_', ' ')}: {escape(str(value))}")


def render_failure(console: Console, err: Exception) -> None:
    """Print why preparing failed, with every located problem the error carries."""
    console.print(f"[red]Cannot prepare:[/] {escape(str(err).splitlines()[0])}")
    report = getattr(err, "report", None)
    problems = [
        p for p in (report.problems if report else getattr(err, "problems", [])) if p.severity == "error"
    ]
    if problems:
        console.print(_problems_table(problems))
