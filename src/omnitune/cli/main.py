"""The `omnitune` command: a root typer app; each command module registers its own commands."""

from __future__ import annotations

import importlib

import typer

from omnitune import __version__

app = typer.Typer(
    name="omnitune",
    help="Plan and run training of LLM, image, video, audio and multimodal models from plain English.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)

# Each module exposes `register(app)`; none may import torch at module level.
COMMAND_MODULES: tuple[str, ...] = (
    "plan", "catalog", "data", "train", "jobs", "models", "serve", "eval", "pipelines",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"omnitune {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show version."),
) -> None:
    """Plan and run training of any model from plain English."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"omnitune.cli.{_name}").register(app)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
