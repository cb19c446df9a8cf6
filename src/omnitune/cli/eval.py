"""`omnitune eval MODEL [--data PATH] [--against BASE] [--json]`: metrics, baseline deltas, quality gates."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from omnitune.cli.jobs import friendly_errors


@friendly_errors
def eval_command(
    model: str = typer.Argument(..., help="A version id, NAME:vN, NAME@alias, a directory or a model id."),
    data: Path | None = typer.Option(None, help="JSONL file or prepared dataset (default: training data)."),
    against: str | None = typer.Option(None, help="Baseline to compare with ('base': the model's base)."),
    gate: list[str] = typer.Option([], help="Quality gate, e.g. 'perplexity must drop 10%'. Repeatable."),
    judge: str | None = typer.Option(None, help="openai:MODEL@URL, anthropic:MODEL or local:PATH."),
    rubric: str | None = typer.Option(None, help="What the judge should reward."),
    limit: int | None = typer.Option(None, help="Evaluate on at most this many examples."),
    max_new_tokens: int = typer.Option(32, help="Reply length for generation metrics."),
    lm_eval: list[str] = typer.Option(
        [], "--lm-eval", help="lm-eval-harness task(s): TASK[,TASK]; repeatable. --limit caps docs per task."
    ),
    lm_eval_include: Path | None = typer.Option(
        None, "--lm-eval-include", help="Directory of lm-eval task YAML files (local data_files)."
    ),
    clip: str | None = typer.Option(
        None, help="Media: CLIP directory for clip_score (else OMNITUNE_CLIP_MODEL)."
    ),
    features: str | None = typer.Option(
        None, help="Media: vision backbone directory for FID/KID (default: --clip)."
    ),
    num_images: int = typer.Option(2, help="Media generation: images, clips or utterances per prompt."),
    steps: int | None = typer.Option(
        None, help="Image/video generation: denoising steps (default: the plan's)."
    ),
    asr: str | None = typer.Option(None, help="Speech synthesis: Whisper directory or version for WER."),
    audio_encoder: str | None = typer.Option(
        None, help="Media: audio encoder directory for FAD (else OMNITUNE_AUDIO_ENCODER)."
    ),
    clap: str | None = typer.Option(None, help="Music: CLAP directory for clap_score."),
    speaker_encoder: str | None = typer.Option(
        None, help="Speech synthesis: x-vector or audio encoder directory for speaker similarity."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Evaluate a model; exit code 2 when a quality gate fails."""
    from omnitune.services.evaluation import EvalRequest, evaluate

    request = EvalRequest(model=model, data=data, against=against, gates=list(gate), judge=judge,
                          rubric=rubric, limit=limit, max_new_tokens=max_new_tokens, clip=clip,
                          features=features, num_images=num_images, steps=steps, asr=asr, clap=clap,
                          audio_encoder=audio_encoder, speaker_encoder=speaker_encoder)  # fmt: skip
    request.lm_eval, request.lm_eval_include = list(lm_eval), lm_eval_include
    report, path = evaluate(request)
    if as_json:
        out = {**report.to_json_dict(), "report_path": str(path) if path else None}
        typer.echo(json.dumps(out, indent=2))
    else:
        typer.echo(report.summary())
        if path:
            typer.echo(f"report: {path}")
    if report.passed is False:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add `eval` to the root app."""
    app.command("eval")(eval_command)
