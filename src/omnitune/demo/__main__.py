"""The main job, offline on a CPU in a few minutes. Run: `make demo` (or `python -m omnitune.demo`).

1. English requests across five modalities → plans.
2. "A chat assistant for our support questions": plan → data omnitune generates → real
   training of a tiny from-config Llama → before/after loss → registered model → one question
   answered side by side by the base and the fine-tuned model.
3. "A sentiment classifier for app reviews": the bundled pretrained MiniLM, accuracy before/after.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from omnitune.demo.datasets import write_review_sentiment, write_support_chat
from omnitune.demo.showcase import show_plans

console = Console()
CHAT_REQUEST = "a chat assistant that answers our customer support questions"
CLASSIFIER_REQUEST = "sentiment classifier for app store reviews"


def main() -> None:
    """Run the three parts; each training job goes through the real `omnitune train` command."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    workdir = Path(os.environ.get("OMNITUNE_DEMO_DIR") or tempfile.mkdtemp(prefix="omnitune-demo-"))
    console.rule("[bold]1 · Plans from plain English")
    show_plans(console)
    console.rule("[bold]2 · A support chat model, trained for real on this CPU")
    chat = _train_chat(workdir)
    console.rule("[bold]3 · A review-sentiment classifier on the bundled pretrained MiniLM")
    classifier = _train_classifier(workdir)
    console.rule("[bold]Next")
    _next_steps(chat, classifier)


def _train_chat(workdir: Path) -> dict[str, object]:
    from omnitune.plan import build_plan
    from omnitune.plan.render import render_plan

    console.print(f"[bold]request:[/bold] {CHAT_REQUEST!r}; the plan for a real GPU:")
    render_plan(build_plan(CHAT_REQUEST), console)
    console.print("Offline on a CPU we train the same recipe on [bold]omnitune/tiny-llama[/bold] "
                  "(built from a config, random weights, tokenizer trained on the data).")
    data = write_support_chat(workdir / "support.jsonl")
    summary = _train([CHAT_REQUEST, "--data", str(data), "--base-model", "omnitune/tiny-llama",
                      "--method", "full_finetune", "--max-steps", "120", "--name", "support-chat"])
    _compare_answers(summary)
    return summary


def _train_classifier(workdir: Path) -> dict[str, object]:
    data = write_review_sentiment(workdir / "reviews.csv")
    return _train([CLASSIFIER_REQUEST, "--data", str(data), "--base-model", "omnitune/minilm",
                   "--method", "classification", "--max-steps", "30", "--name", "review-sentiment"])


def _train(args: list[str]) -> dict[str, object]:
    """Run `omnitune train ARGS` in this process (progress bar and all) and return its summary."""
    from omnitune.cli.main import app
    from omnitune.cli.train import summarise
    from omnitune.services import jobs

    console.print("[dim]$ omnitune train " + " ".join(_quote(a) for a in args) + "[/dim]")
    try:
        app(["train", *args], standalone_mode=False)
    except SystemExit as exc:  # typer.Exit on a failed job: show the summary below, then stop
        if exc.code:
            raise
    return summarise(jobs.list_jobs()[0].id)


def _compare_answers(summary: dict[str, object]) -> None:
    """Validation questions (never trained on) answered by the base and the fine-tuned model."""
    from omnitune.demo.side_by_side import answer, base_and_tuned
    from omnitune.runtime.jobdir import JobDir
    from omnitune.services import jobs

    data_dir = Path(JobDir(Path(jobs.get(str(summary["job_id"])).job_dir)).read_spec().data_dir)
    rows = [json.loads(line) for line in (data_dir / "validation.jsonl").read_text().splitlines()]
    base, tuned, tokenizer = base_and_tuned(Path(str(summary["artefact_path"])), "omnitune/tiny-llama")
    table = Table(title="side by side on the validation split", show_lines=True)
    for column in ("question", "base (random init, same seed)", f"fine-tuned {summary['model_version']}",
                   "reference"):
        table.add_column(column, overflow="fold")
    correct = 0
    for row in rows:
        question, reference = row["messages"][0]["content"], row["messages"][-1]["content"]
        tuned_answer = answer(tuned, tokenizer, question)
        correct += tuned_answer == reference
        if len(table.rows) < 4:
            table.add_row(question, answer(base, tokenizer, question) or "(empty)", tuned_answer, reference)
    console.print(table)
    console.print(f"fine-tuned answers matching the reference exactly: [bold]{correct}/{len(rows)}[/bold]")


def _next_steps(chat: dict[str, object], classifier: dict[str, object]) -> None:
    for summary in (chat, classifier):
        console.print(f"registered {summary['model_version']} ({summary['state']})")
    console.print("omnitune models list                 # the registry, with lineage and metrics")
    console.print("omnitune jobs list                   # every job; logs, pause, resume, cancel")
    console.print('omnitune plan "your goal in English" # plan anything; --json for the contract')
    console.print("omnitune serve                       # the studio on http://127.0.0.1:8000")


def _quote(arg: str) -> str:
    return f'"{arg}"' if " " in arg else arg


if __name__ == "__main__":
    main()
