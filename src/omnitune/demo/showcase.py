"""Part 1 of the demo: plans for requests across all five modalities, in one table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

EXAMPLE_REQUESTS = [
    "make our 8B model answer like our support team",
    "DPO on my preference pairs",
    "a LoRA of my dog for SDXL",
    "songs with vocals like Suno",
    "animate my illustrations with subtle motion",
    "speech recognition for Scottish accents",
    "a VLM that describes medical X-ray images",
    "improve it",
]


def show_plans(console: Console) -> None:
    """Plan each example request and print what the planner chose."""
    from omnitune.plan import build_plan

    table = Table(title="English → TrainingPlan (offline rules + MiniLM)", show_lines=False)
    for column in ("request", "modality", "tasks", "model(s) · method", "GPU", "est. cost", "status"):
        table.add_column(column, overflow="fold")
    for request in EXAMPLE_REQUESTS:
        plan = build_plan(request)
        models = "\n".join(f"{m.base_model} · {m.method}" for m in plan.models) or "-"
        status = "ok" if plan.feasibility.ok else "needs answers: " + "; ".join(plan.questions[:1])
        table.add_row(
            request,
            str(plan.capabilities.modality or "?"),
            ", ".join(str(t) for t in plan.capabilities.tasks[:2]),
            models,
            f"{plan.training.gpu.count}x {plan.training.gpu.type}",
            f"${plan.estimates.cost_usd.total:,.2f}",
            status,
        )
    console.print(table)
