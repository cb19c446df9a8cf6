"""Serve a registered version: verify its checksum, load it (language or media), count usage per request,
run uvicorn."""

from __future__ import annotations

from typing import Any

from omnitune.registry.references import resolve_model


def build_app(ref: str, engine: str = "auto") -> Any:
    """The app for ``ref`` (a version is checksum-verified first and its usage is recorded)."""
    from omnitune.registry.versions import audit, verify
    from omnitune.serving.app import create_app
    from omnitune.serving.loading import load_served
    from omnitune.store import registry
    from omnitune.store.tables import utcnow

    resolved = resolve_model(ref)
    version = resolved.version
    if version is not None:
        verify(version.id)
        audit("serve", version.ref)
    served = load_served(resolved, engine)

    def on_usage(prompt_tokens: int, completion_tokens: int) -> None:
        if version is not None:
            registry.add_usage(version.id, prompt_tokens, completion_tokens, utcnow())

    return create_app(served, on_usage)


def serve(ref: str, host: str = "127.0.0.1", port: int = 8001, engine: str = "auto") -> None:
    """Run the endpoint until interrupted."""
    import uvicorn

    uvicorn.run(build_app(ref, engine), host=host, port=port, log_level="warning")
