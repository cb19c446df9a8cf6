"""The omnitune command line (typer); commands stay thin over services/."""
