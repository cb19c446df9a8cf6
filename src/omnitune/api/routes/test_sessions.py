"""`/api/training/test`: temporary side-by-side sessions of a base model and its fine-tuned version
(language models answer in text; image, speech, music and video versions answer with files served here)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from fastapi import Path as UrlPath
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from omnitune.api.auth import CurrentUser
from omnitune.api.routes.models import owned_version
from omnitune.services import test_sessions
from omnitune.services.media_sessions import MediaOptions

router = APIRouter(prefix="/api/training/test", tags=["test sessions"])
MEDIA_TYPES = {".png": "image/png", ".wav": "audio/wav", ".mp4": "video/mp4"}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeployRequest(_Body):
    """The fine-tuned version to put beside its base."""

    model_id: str = Field(..., min_length=1, max_length=200)


class _Generation(_Body):
    """Generation settings: ``max_tokens`` for language models, the rest for media sessions."""

    session_id: str = Field(..., min_length=1, max_length=64)
    max_tokens: int = Field(64, ge=1, le=1024)
    seed: int = Field(0, ge=0, le=2**31 - 1, description="media: both sides generate with this seed")
    steps: int | None = Field(None, ge=1, le=200, description="image and video: denoising steps")
    seconds: float = Field(2.0, gt=0.0, le=30.0, description="music: length of the clip")
    voice: str | None = Field(None, max_length=200, description="speech: one of the version's voices")
    image: str | None = Field(
        None,
        max_length=16_000_000,
        description="image-to-video: the first frame, a base64 PNG or JPEG (a data: URL works); default: "
        "the first frame of the first held-out clip of the version's training data",
    )

    @field_validator("image")
    @classmethod
    def _decodable(cls, value: str | None) -> str | None:
        from omnitune.serving.video import decode_first_frame

        if value is not None:
            decode_first_frame(value)  # a ValueError naming what is wrong: a 422 on `image`
        return value

    def media(self) -> MediaOptions:
        """The media settings of this request (the first frame decoded)."""
        from omnitune.serving.video import decode_first_frame

        image = decode_first_frame(self.image) if self.image is not None else None
        return MediaOptions(self.seed, self.steps, self.seconds, self.voice, image)


class RunRequest(_Generation):
    """One prompt for both models."""

    prompt: str = Field(..., min_length=1, max_length=8000)


class CompareRequest(_Generation):
    """Several prompts for both models."""

    prompts: list[str] = Field(..., min_length=1, max_length=20)


class RateRequest(_Body):
    """Which answer to a prompt was better."""

    session_id: str = Field(..., min_length=1, max_length=64)
    prompt: str = Field(..., min_length=1, max_length=8000)
    chosen: Literal["base", "fine_tuned"]
    output_id: str | None = Field(None, pattern=r"^[0-9a-f]{12}$", description="media: which output")


@router.post("/deploy")
def deploy(body: DeployRequest, user: CurrentUser) -> dict[str, Any]:
    """Load a version and its base model; returns the session."""
    return test_sessions.deploy(user, owned_version(user, body.model_id)).info()


@router.post("/run")
def run(body: RunRequest, user: CurrentUser) -> dict[str, Any]:
    """Both models' answers to one prompt (media: file URLs and latency per side)."""
    session = test_sessions.get(user, body.session_id)
    return test_sessions.run_any(session, body.prompt, body.max_tokens, body.media())


@router.post("/compare")
def compare(body: CompareRequest, user: CurrentUser) -> dict[str, Any]:
    """Both models' answers to each prompt."""
    session = test_sessions.get(user, body.session_id)
    rows = [test_sessions.run_any(session, p, body.max_tokens, body.media()) for p in body.prompts]
    return {"session_id": session.id, "results": rows}


@router.post("/rate")
def rate(body: RateRequest, user: CurrentUser) -> dict[str, Any]:
    """Add the pair to your preference set (prompt / chosen / rejected; media sessions: the media set)."""
    session = test_sessions.get(user, body.session_id)
    path = test_sessions.rate_any(user, session, body.prompt, body.chosen, body.output_id)
    return {"preference_pairs": sum(1 for _ in path.open(encoding="utf-8"))}


@router.get("/sessions/{session_id}")
def get_session(session_id: str, user: CurrentUser) -> dict[str, Any]:
    """An open session."""
    return test_sessions.get(user, session_id).info()


@router.get("/sessions/{session_id}/files/{name}", response_class=FileResponse)
def session_file(
    session_id: str,
    user: CurrentUser,
    name: str = UrlPath(..., pattern=r"^[0-9a-f]{12}-(base|fine_tuned)\.(png|wav|mp4)$"),
) -> FileResponse:
    """A PNG, WAV or MP4 that one of your media sessions generated."""
    path = test_sessions.media_file(test_sessions.get(user, session_id), name)
    headers = {"Cache-Control": "private, max-age=1800"}
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=headers)


@router.delete("/sessions/{session_id}", status_code=204, response_class=Response)
def close_session(session_id: str, user: CurrentUser) -> Response:
    """Unload a session's models."""
    test_sessions.close(user, session_id)
    return Response(status_code=204)
