"""Every error is a JSON body {"error": {"message", "field", "code"}}; bad input never answers 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from omnitune.services.datasets import UploadRefusedError, UploadTooLargeError
from omnitune.services.deployments import DeploymentError
from omnitune.services.jobs import JobNotFoundError, JobStateError
from omnitune.services.models import ModelVersionNotFoundError
from omnitune.services.paths import PathNotAllowedError
from omnitune.services.plans import PlanFieldError
from omnitune.services.training import TrainingRequestError
from omnitune.services.users import AccessDeniedError
from omnitune.services.vault import VaultKeyError

log = logging.getLogger("omnitune.api")


def error_response(status: int, message: str, field: str | None = None, code: str = "error") -> JSONResponse:
    """The one error shape."""
    return JSONResponse({"error": {"message": message, "field": field, "code": code}}, status_code=status)


def _validation(_: Request, exc: Exception) -> JSONResponse:
    errors: list[Any] = list(getattr(exc, "errors", list)())
    first = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) or None
    message = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg", "invalid input"))
    return error_response(422, message, field, "invalid")


def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), None, "http")


def _mapped(status: int, code: str, field: str | None = None) -> Any:
    def handler(_: Request, exc: Exception) -> JSONResponse:
        message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        return error_response(status, message, getattr(exc, "field", field), code)

    return handler


def _not_yours(_: Request, exc: Exception) -> JSONResponse:
    """Someone else's object answers like a missing one, so ids do not leak."""
    return error_response(404, str(exc).replace("does not belong to", "is not visible to"), None, "not_found")


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, f"internal error: {type(exc).__name__}: {exc}", None, "internal")


def install_error_handlers(app: FastAPI) -> None:
    """Map validation, HTTP and domain errors to the one JSON shape."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(AccessDeniedError, _not_yours)
    app.add_exception_handler(JobNotFoundError, _mapped(404, "not_found", "job_id"))
    app.add_exception_handler(ModelVersionNotFoundError, _mapped(404, "not_found", "model_id"))
    app.add_exception_handler(JobStateError, _mapped(409, "conflict"))
    app.add_exception_handler(PlanFieldError, _mapped(422, "invalid"))
    app.add_exception_handler(PathNotAllowedError, _mapped(422, "invalid", "path"))
    app.add_exception_handler(TrainingRequestError, _mapped(422, "not_runnable", "plan"))
    app.add_exception_handler(VaultKeyError, _mapped(503, "vault_key"))
    app.add_exception_handler(DeploymentError, _mapped(502, "deploy_failed"))
    app.add_exception_handler(UploadTooLargeError, _mapped(413, "too_large", "file"))
    app.add_exception_handler(UploadRefusedError, _mapped(422, "invalid", "file"))
    app.add_exception_handler(KeyError, _mapped(404, "not_found"))
    app.add_exception_handler(ValueError, _mapped(422, "invalid"))
    app.add_exception_handler(Exception, _unexpected)
