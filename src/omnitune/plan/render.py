"""Readable rich rendering of a TrainingPlan for the terminal."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from omnitune.plan.schema import TrainingPlan


def _kv(title: str, values: dict[str, object]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left", box=None, pad_edge=False)
    table.add_column(style="cyan", no_wrap=True)
    table.add_column()
    for key, value in values.items():
        if value not in (None, "", [], {}):
            table.add_row(key, str(value))
    return table


def _models(plan: TrainingPlan) -> Text:
    text = Text("Models\n", style="bold")
    for m in plan.models:
        text.append(f"  {m.role}: ", style="cyan")
        text.append(f"{m.base_model}", style="bold")
        text.append(f"  {m.method.value} via {m.recipe}, ~{m.peak_vram_gb:g} GB, ~{m.estimated_hours:g} h\n")
        for alt in m.alternatives[:3]:
            text.append(f"      or {alt.model_id}: {alt.reason}\n", style="dim")
    return text


def _steps(plan: TrainingPlan) -> Table:
    table = Table(title="Steps", title_justify="left")
    for header in ("#", "kind", "step", "min", "after"):
        table.add_column(header)
    for s in plan.steps:
        table.add_row(
            str(s.n), s.kind.value, s.name, f"{s.estimated_minutes:g}", ",".join(map(str, s.depends_on))
        )
    return table


def _bullets(title: str, items: list[str], style: str) -> Text:
    text = Text(f"{title}\n", style=f"bold {style}")
    for item in items:
        text.append(f"  • {item}\n")
    return text


def render_plan(plan: TrainingPlan, console: Console) -> None:
    """Print the plan: what, which models, how, how much, and what to watch."""
    caps = plan.capabilities
    head = _kv(
        "Plan " + plan.id,
        {
            "request": plan.request,
            "interpreter": plan.interpreter,
            "summary": plan.intent.summary,
            "modality": caps.modality.value if caps.modality else "unknown",
            "tasks": ", ".join(t.value for t in caps.tasks),
            "references": ", ".join(plan.intent.references),
            "constraints": "; ".join(plan.intent.constraints),
            "quality": ", ".join(f"{k}={v}" for k, v in caps.quality.model_dump(exclude_none=True).items()),
        },
    )
    parts: list[object] = [head]
    if plan.models:
        est = plan.estimates
        parts += [
            _models(plan),
            _kv("Pipeline", {"type": plan.pipeline.type.value, "how": plan.pipeline.description}),
            _kv(
                "Data",
                {
                    "kind": plan.data.kind,
                    "format": plan.data.format,
                    "path": plan.data.path,
                    "found": plan.data.found_samples,
                    "samples": f"{plan.data.min_samples}+ (recommended {plan.data.recommended_samples}+)",
                },
            ),
            _kv(
                "Training",
                {
                    "preset": plan.training.preset.value,
                    "gpu": f"{plan.training.gpu.count}x {plan.training.gpu.type}",
                    **{k: v for k, v in plan.training.hyperparameters.items()},
                },
            ),
            _kv(
                "Estimates",
                {
                    "peak VRAM": f"{est.peak_vram_gb:g} GB",
                    "GPU hours": f"{est.gpu_hours:g}",
                    "cost": f"${est.cost_usd.total:g} (gpu ${est.cost_usd.gpu:g}, "
                    f"storage ${est.cost_usd.storage:g})",
                },
            ),
            _steps(plan),
        ]
    for title, items, style in (
        ("Adjustments", plan.training.adjustments, "blue"),
        ("Warnings", plan.warnings, "yellow"),
        ("Alternatives", plan.alternatives, "green"),
        ("Questions", plan.questions, "magenta"),
        ("Problems", plan.feasibility.problems, "red"),
    ):
        if items:
            parts.append(_bullets(title, items, style))
    ok = "[green]feasible[/green]" if plan.feasibility.ok else "[red]not feasible as written[/red]"
    console.print(Panel(Group(*parts), title=f"omnitune plan — {ok}", expand=False))  # type: ignore[arg-type]
