"""Page routes of the web UI: each renders a template; the page's JS module talks to the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from omnitune.api.auth import COOKIE
from omnitune.services import users

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

# path -> (template, title, nav key); the ids in a path reach the template as `ref`
PAGES = {
    "/": ("wizard.html", "New training", "new"),
    "/jobs": ("jobs.html", "Jobs", "jobs"),
    "/jobs/{ref}": ("job.html", "Job", "jobs"),
    "/models": ("models.html", "Models", "models"),
    "/models/{ref}": ("model.html", "Model", "models"),
    "/pipelines": ("pipelines.html", "Pipelines", "pipelines"),
    "/pipelines/{ref}": ("pipeline.html", "Pipeline", "pipelines"),
    "/compare": ("compare.html", "Compare", "compare"),
    "/settings": ("settings.html", "Settings", "settings"),
}


def _signed_in(request: Request) -> bool:
    token = request.cookies.get(COOKIE)
    return token is not None and users.authenticate(token) is not None


def _page(template: str, title: str, nav: str):  # type: ignore[no-untyped-def]
    def render(request: Request, ref: str = "") -> Response:
        if not _signed_in(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        context = {"title": title, "nav": nav, "ref": ref, **_choices()}
        return templates.TemplateResponse(request, template, context)

    return render


def _choices() -> dict[str, list[str]]:
    """The closed sets the wizard's selects offer (enums and the hardware catalog)."""
    from omnitune.catalog.hardware import load_hardware
    from omnitune.services.notifications import Kind
    from omnitune.types import Method, Preset

    return {
        "methods": [m.value for m in Method],
        "presets": [p.value for p in Preset],
        "gpus": sorted(load_hardware()),
        "notification_kinds": [k.value for k in Kind],
    }


def login_page(request: Request) -> HTMLResponse:
    """Paste an API token to sign in."""
    return templates.TemplateResponse(request, "login.html", {"title": "Sign in", "nav": "", "ref": ""})


def mount(app: FastAPI) -> None:
    """Serve the static assets and every page."""
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_api_route(
        "/login", login_page, methods=["GET"], include_in_schema=False, response_class=HTMLResponse
    )
    for path, (template, title, nav) in PAGES.items():
        app.add_api_route(
            path,
            _page(template, title, nav),
            methods=["GET"],
            include_in_schema=False,
            response_class=HTMLResponse,
        )
