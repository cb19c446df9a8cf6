"""Media endpoints: /v1/images/generations (OpenAI's shape, b64_json PNGs), /v1/audio/speech (SpeechT5
speaks ``input``; a MusicGen model takes it as the description) and /v1/audio/generations (music)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response

from omnitune.serving.schemas import ImageRequest, MusicRequest, SpeechRequest

UsageHook = Callable[[int, int], None]


def add_media_routes(app: FastAPI, served: Any, kind: str, count: UsageHook) -> None:
    """Register the media endpoints; on a model of another kind they answer 400 naming its endpoints."""
    from omnitune.serving.app import require

    @app.post("/v1/images/generations")
    def images(body: ImageRequest) -> dict[str, Any]:
        require(served, kind, "POST /v1/images/generations")
        rendered = served.generate(body)
        count(rendered.prompt_tokens, 0)
        data = [{"b64_json": base64.b64encode(png).decode("ascii"), "revised_prompt": body.prompt}
                for png in rendered.files]  # fmt: skip
        return {"created": int(time.time()), "data": data, "size": rendered.details["size"]}

    @app.post("/v1/audio/speech")
    def speech(body: SpeechRequest) -> Response:
        require(served, kind, "POST /v1/audio/speech")
        if kind == "music":
            music = MusicRequest(prompt=body.input, response_format=body.response_format, seed=body.seed)
            return _audio(served.compose(music), count)
        return _audio(served.speak(body), count)

    @app.post("/v1/audio/generations")
    def music(body: MusicRequest) -> Response:
        require(served, kind, "POST /v1/audio/generations")
        return _audio(served.compose(body), count)


def _audio(rendered: Any, count: UsageHook) -> Response:
    count(rendered.prompt_tokens, 0)
    headers = {f"x-omnitune-{key.replace('_', '-')}": str(value) for key, value in rendered.details.items()}
    return Response(rendered.files[0], media_type=rendered.media_type, headers=headers)
