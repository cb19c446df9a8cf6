"""The studio's FastAPI app: API routes, error shape, web UI, and (optionally) the local supervisor."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from omnitune import __version__
from omnitune.api.errors import install_error_handlers

log = logging.getLogger("omnitune.api")


def create_app(run_supervisor: bool = False, supervisor_poll_s: float = 0.5) -> FastAPI:
    """Build the app; with ``run_supervisor`` background threads start queued jobs and send notifications."""
    app = FastAPI(
        title="omnitune studio",
        version=__version__,
        lifespan=_lifespan(run_supervisor, supervisor_poll_s),
        description="Plan, approve, watch and compare training jobs. Every endpoint but health needs "
        "`Authorization: Bearer <token>` (see `omnitune users token`).",
    )
    install_error_handlers(app)
    from omnitune.api.routes import (
        datasets,
        deploy,
        evaluate,
        jobs,
        models,
        notifications,
        pipelines,
        plans,
        statistics,
        streams,
        synthetic_data,
        system,
        test_sessions,
        vault,
    )

    modules = (
        system,
        plans,
        jobs,
        streams,
        pipelines,
        models,
        datasets,
        vault,
        notifications,
        statistics,
        test_sessions,
        evaluate,
        deploy,
        synthetic_data,
    )
    for module in modules:
        app.include_router(module.router)
    app.add_api_route("/health", system.health, methods=["GET"], tags=["system"])
    _mount_ui(app)
    return app


def _mount_ui(app: FastAPI) -> None:
    from omnitune.ui import pages

    pages.mount(app)


def _lifespan(run_supervisor: bool, poll_s: float):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        threads = []
        if run_supervisor:
            from omnitune.services.notifications import Notifier

            threads = [
                threading.Thread(target=_supervise, args=(stop, poll_s), name="supervisor", daemon=True),
                threading.Thread(target=Notifier().run, args=(stop, poll_s), name="notifier", daemon=True),
            ]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
            from omnitune.services.deployments import stop_all

            stop_all()

    return lifespan


def _supervise(stop: threading.Event, poll_s: float) -> None:
    """Run the supervisor until ``stop``; a failing tick is logged and retried, never fatal to the server."""
    from omnitune.runtime.supervisor import Supervisor
    from omnitune.services.jobs import hand_credentials_to_workers

    hand_credentials_to_workers()
    supervisor = Supervisor()
    while not stop.is_set():
        try:
            supervisor.tick()
        except Exception:
            log.exception("supervisor tick failed; retrying")
        stop.wait(poll_s)
