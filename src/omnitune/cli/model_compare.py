"""`omnitune models compare | rate`: two models side by side on the same prompts (language replies, or
media files for a text-to-image, speech, music or video version against its base or a sibling), and
rated language comparisons turned into a preference dataset."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from omnitune.cli.jobs import friendly_errors

if TYPE_CHECKING:
    from omnitune.services.media_comparison import MediaComparison

console = Console()


@friendly_errors
def compare_command(
    model_a: str = typer.Argument(..., help="First model (version ref, directory or id)."),
    model_b: str = typer.Argument(..., help="Second model, or `base` (A's base model)."),
    prompts: Path = typer.Option(
        ..., help="JSONL (prompt/answer, messages, text+label) or TXT, one prompt a line."
    ),
    out: Path | None = typer.Option(
        None,
        help="Language: save the comparison JSON here (input of `models rate`). Media: a directory "
        "(required) for the files and comparison.json.",
    ),
    judge: str | None = typer.Option(None, help="openai:MODEL@URL, anthropic:MODEL or local:PATH."),
    max_new_tokens: int = typer.Option(64, help="Reply length."),
    seed: int = typer.Option(0, min=0, help="Media: both sides generate with this seed."),
    steps: int | None = typer.Option(None, min=1, help="Image and video: denoising steps (default: plan's)."),
    seconds: float = typer.Option(2.0, min=0.01, help="Music: clip length."),
    voice: str | None = typer.Option(None, help="Speech: one of the version's voices (default: the first)."),
    image: Path | None = typer.Option(
        None, help="Image-to-video: the first frame, a PNG/JPEG (default: the first held-out clip's)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """Run the same prompts through two models: outputs side by side, latency, metric deltas, winners.
    A media version (text-to-image, speech, music, video) is compared with `base` or another version of
    its kind: both generate each prompt with the same seed, files saved under --out."""
    from omnitune.services.comparison import compare
    from omnitune.services.media_comparison import MediaComparison
    from omnitune.services.media_sessions import MediaOptions
    from omnitune.serving.video import first_frame_from_bytes

    frame = first_frame_from_bytes(image.read_bytes(), f"--image {image}") if image else None
    media = MediaOptions(seed, steps, seconds, voice, frame)
    comparison = compare(model_a, model_b, prompts, judge=judge, max_new_tokens=max_new_tokens, out=out,
                         media=media)  # fmt: skip
    if out and not isinstance(comparison, MediaComparison):  # a media comparison saved its own JSON
        comparison.write(out)
    if as_json:
        typer.echo(comparison.model_dump_json(indent=2))
        return
    if isinstance(comparison, MediaComparison):
        _print_media(comparison)
        return
    table = Table(title=f"A = {comparison.model_a}   B = {comparison.model_b}")
    for header in ("PROMPT", "A", "B", "A s", "B s"):
        table.add_column(header)
    for row in comparison.rows:
        table.add_row(
            row.messages[-1]["content"][:60],
            row.output_a[:80],
            row.output_b[:80],
            f"{row.latency_a_s:.2f}",
            f"{row.latency_b_s:.2f}",
        )
    console.print(table)
    for metric, side in comparison.winners.items():
        a, b = comparison.metrics_a[metric], comparison.metrics_b[metric]
        console.print(f"  {metric:12} A {a:10.4f}  B {b:10.4f}  delta {b - a:+.4f}  winner {side.upper()}")
    if out:
        console.print(f"saved {out}")


def _print_media(comparison: MediaComparison) -> None:
    table = Table(title=f"A = {comparison.model_a}   B = {comparison.model_b}   ({comparison.kind})")
    for header in ("PROMPT", "A file", "B file", "A s", "B s"):
        table.add_column(header, overflow="fold")
    for row in comparison.rows:
        table.add_row(row.prompt[:60], str(comparison.path(row.file_a)), str(comparison.path(row.file_b)),
                      f"{row.latency_a_s:.2f}", f"{row.latency_b_s:.2f}")  # fmt: skip
    console.print(table)
    console.print(f"saved {comparison.directory}/comparison.json (seed {comparison.rows[0].seed})")


@friendly_errors
def rate_command(
    comparison: Path = typer.Argument(..., help="A comparison JSON from `models compare --out`."),
    out: Path = typer.Option(..., help="Directory for the prepared preference dataset."),
    ratings: Path | None = typer.Option(None, help="JSONL of {row, preferred: a|b|tie}; else use --judge."),
    judge: str | None = typer.Option(None, help="Let a judge rate instead: openai:MODEL@URL, local:PATH …"),
) -> None:
    """Turn rated comparisons into a prompt/chosen/rejected dataset that a DPO/KTO plan trains on."""
    from omnitune.services.comparison import rate

    manifest, count = rate(comparison, out, ratings=ratings, judge=judge)
    console.print(f"{count} preference pairs -> {out} ({manifest.family.value}); train with method dpo")
