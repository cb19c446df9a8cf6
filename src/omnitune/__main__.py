"""`python -m omnitune` runs the CLI."""

from omnitune.cli.main import main

main()
