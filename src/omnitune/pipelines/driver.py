"""Detached pipeline driver: `python -m omnitune.pipelines.driver PIPELINE_ID` (started by `--detach`)."""

from __future__ import annotations

import sys

from omnitune.pipelines.runner import drive


def main(argv: list[str] | None = None) -> int:
    """Drive the pipeline to the end; exit 0 when it succeeded."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m omnitune.pipelines.driver PIPELINE_ID", file=sys.stderr)
        return 2
    return 0 if drive(args[0]).state == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
