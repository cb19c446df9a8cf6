"""`/api/training/notifications`: preferences and the in-app stream (SSE, resumable with Last-Event-ID)."""

from __future__ import annotations

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from omnitune.api import streams
from omnitune.api.auth import CurrentUser
from omnitune.services import notifications
from omnitune.services.notifications import Preferences

router = APIRouter(prefix="/api/training/notifications", tags=["notifications"])


@router.get("/preferences", response_model=Preferences)
def get_preferences(user: CurrentUser) -> Preferences:
    """Your channels (in-app, webhook, email) and the events you want."""
    return notifications.get_preferences(user.id)


@router.put("/preferences", response_model=Preferences)
def set_preferences(body: Preferences, user: CurrentUser) -> Preferences:
    """Replace your notification preferences."""
    return notifications.set_preferences(user.id, body)


@router.get("/stream", response_class=StreamingResponse)
async def stream(
    user: CurrentUser,
    last_event_id: str | None = Header(None),
    after: int | None = Query(None, ge=0, description="Resume offset, for clients that cannot set headers."),
) -> StreamingResponse:
    """Your notifications as Server-Sent Events, live; reconnect with Last-Event-ID to resume."""
    path = notifications.inbox_file(user.id)
    offset = after if after is not None else streams.parse_last_event_id(last_event_id)

    async def frames():  # type: ignore[no-untyped-def]
        yield "retry: 2000\n\n"
        async for item in streams.follow(path, offset, lambda: False):
            yield ": keep-alive\n\n" if item is None else streams.sse_frame(*item)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(frames(), media_type="text/event-stream", headers=headers)
