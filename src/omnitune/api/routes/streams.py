"""Live job events: Server-Sent Events (resumable with Last-Event-ID) and a WebSocket with the same events."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Header, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from omnitune.api import streams
from omnitune.api.auth import CurrentUser, websocket_user
from omnitune.api.routes.jobs import owned_job
from omnitune.runtime.jobdir import JobDir
from omnitune.services import jobs
from omnitune.services.jobs import SETTLED_STATES

router = APIRouter(prefix="/api/training/jobs", tags=["jobs"])


def _settled(job_id: str) -> bool:
    return jobs.get(job_id).state in SETTLED_STATES


@router.get("/{job_id}/stream", response_class=StreamingResponse)
async def stream(
    job_id: str,
    user: CurrentUser,
    last_event_id: str | None = Header(None),
    after: int | None = Query(None, ge=0, description="Resume offset, for clients that cannot set headers."),
) -> StreamingResponse:
    """SSE: state, step, metrics, logs and cost events; reconnect with Last-Event-ID to resume."""
    job = await run_in_threadpool(owned_job, user, job_id)
    path = JobDir(Path(job.job_dir)).events_file
    offset = after if after is not None else streams.parse_last_event_id(last_event_id)

    async def frames():  # type: ignore[no-untyped-def]
        yield "retry: 2000\n\n"
        async for item in streams.follow(path, offset, lambda: _settled(job.id)):
            yield ": keep-alive\n\n" if item is None else streams.sse_frame(*item)
        yield f"event: end\ndata: {json.dumps({'job_id': job.id, 'state': str(jobs.get(job.id).state)})}\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(frames(), media_type="text/event-stream", headers=headers)


@router.websocket("/{job_id}/ws")
async def websocket(websocket: WebSocket, job_id: str, after: int = 0) -> None:
    """The same events as the SSE stream, as JSON messages {id, event}; closes when the job settles."""
    try:
        user = await run_in_threadpool(websocket_user, websocket)
        job = await run_in_threadpool(owned_job, user, job_id)
    except Exception as exc:  # auth and lookup errors close the socket with the reason
        await websocket.close(code=4401 if "token" in str(exc) else 4404, reason=str(exc)[:120])
        return
    await websocket.accept()
    path = JobDir(Path(job.job_dir)).events_file
    try:
        async for item in streams.follow(path, after, lambda: _settled(job.id)):
            if item is not None:
                await websocket.send_json({"id": item[0], "event": item[1]})
        await websocket.send_json(
            {"id": None, "event": {"event": "end", "state": str(jobs.get(job.id).state)}}
        )
        await websocket.close()
    except WebSocketDisconnect:
        return
