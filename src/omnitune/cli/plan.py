"""`omnitune plan "TEXT"` and `omnitune plan --batch FILE.jsonl`: English in, TrainingPlan out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

console = Console()


def plan_command(
    text: str | None = typer.Argument(None, help="The training goal in plain English."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
    preset: str | None = typer.Option(None, help="maximum_quality | balanced | maximum_speed."),
    gpu: str | None = typer.Option(None, help="GPU type, e.g. rtx-4090, a100-80gb, h100, cpu."),
    budget: float | None = typer.Option(None, help="Budget cap in US dollars."),
    data: str | None = typer.Option(None, help="Dataset path to inspect and plan for."),
    base_model: str | None = typer.Option(None, "--base-model", help="Catalog id of the base model."),
    method: str | None = typer.Option(None, help="Training method, e.g. lora, qlora, dpo, dreambooth."),
    llm: str | None = typer.Option(None, help="Interpret with an LLM: openai[:MODEL] | anthropic[:MODEL]."),
    batch: Path | None = typer.Option(None, help="JSONL file of {'text': ...} lines; one plan per line."),
) -> None:
    """Turn a plain-English training goal into a typed, reviewable training plan."""
    from omnitune.plan import build_plan

    options: dict[str, Any] = {
        "preset": preset,
        "gpu": gpu,
        "budget_usd": budget,
        "data_path": data,
        "base_model": base_model,
        "method": method,
        "llm": llm,
    }
    try:
        if batch is not None:
            _batch(batch, as_json, options)
            return
        if not text:
            raise typer.BadParameter("give the request TEXT or --batch FILE.jsonl")
        plan = build_plan(text, **options)  # type: ignore[arg-type]
    except (KeyError, ValueError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(plan.to_json())
    else:
        from omnitune.plan.render import render_plan

        render_plan(plan, console)


def _batch(path: Path, as_json: bool, options: dict[str, Any]) -> None:
    """One plan per input line, in order, in this one warm process."""
    from omnitune.plan import build_plan
    from omnitune.plan.render import render_plan

    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            text = json.loads(line)["text"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: expected a JSON object with a 'text' field") from exc
        plan = build_plan(text, **options)  # type: ignore[arg-type]
        if as_json:
            typer.echo(plan.model_dump_json())
        else:
            render_plan(plan, console)


def register(app: typer.Typer) -> None:
    """Add `plan` to the root app."""
    app.command("plan")(plan_command)
