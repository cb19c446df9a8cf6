"""`omnitune serve` (the studio: API + web UI + local supervisor) and `omnitune users add|token|list`."""

from __future__ import annotations

import typer

from omnitune.cli.jobs import friendly_errors

users_app = typer.Typer(help="Studio users and API tokens.", no_args_is_help=True)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    supervisor: bool = typer.Option(True, "--supervisor/--no-supervisor", help="Run queued jobs in-process."),
) -> None:
    """Start the studio: REST API, live streams and web UI on http://HOST:PORT (docs at /docs)."""
    import uvicorn

    from omnitune.api.app import create_app
    from omnitune.services import users

    token = users.ensure_first_admin()
    if token:
        typer.echo(f"first run: created user 'admin'; admin token (shown once, keep it): {token}", err=True)
    typer.echo(f"omnitune studio on http://{host}:{port} (API docs: /docs)", err=True)
    app = create_app(run_supervisor=supervisor)
    # live streams never end on their own: give them a few seconds, then close them on shutdown
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)


@users_app.command("add")
@friendly_errors
def add_user(
    name: str = typer.Argument(..., help="User name."),
    admin: bool = typer.Option(False, "--admin", help="Give the admin role."),
    email: str = typer.Option("", "--email", help="Address for email notifications."),
) -> None:
    """Create a user and print their first API token (shown once)."""
    from omnitune.services import users

    user = users.add_user(name, "admin" if admin else "user", email)
    typer.echo(f"created {user.role} {user.name!r}; their API token (shown once) follows", err=True)
    typer.echo(users.issue_token(user.id))


@users_app.command("token")
@friendly_errors
def new_token(
    name: str = typer.Argument(..., help="User name."),
    label: str = typer.Option("", "--label", help="What the token is for."),
) -> None:
    """Print a new API token for a user (only its hash is stored)."""
    from omnitune.services import users

    typer.echo(users.issue_token(name, label))


@users_app.command("list")
@friendly_errors
def list_users() -> None:
    """List users and their roles."""
    from omnitune.services import users

    for user in users.list_users():
        typer.echo(f"{user.name}\t{user.role}\t{user.email}")


def register(app: typer.Typer) -> None:
    """Add `serve` and `users` to the root app."""
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
