"""Request bodies of the OpenAI-compatible endpoints (the fields omnitune honours; others are ignored)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ChatMessage(_Body):
    """One chat turn."""

    role: str
    content: str


class Sampling(_Body):
    """Generation options shared by chat and text completions."""

    model: str = ""
    max_tokens: int | None = Field(None, ge=1, le=4096)
    max_completion_tokens: int | None = Field(None, ge=1, le=4096)
    temperature: float = Field(1.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    stop: str | list[str] | None = None
    stream: bool = False
    seed: int | None = None

    def new_tokens(self, default: int) -> int:
        """The reply length asked for (OpenAI's newer or older field)."""
        return self.max_completion_tokens or self.max_tokens or default

    def stops(self) -> list[str]:
        """Stop strings as a list."""
        return [self.stop] if isinstance(self.stop, str) else list(self.stop or [])


class ChatRequest(Sampling):
    """POST /v1/chat/completions."""

    messages: list[ChatMessage] = Field(..., min_length=1)


class CompletionRequest(Sampling):
    """POST /v1/completions."""

    prompt: str | list[str]


class EmbeddingRequest(_Body):
    """POST /v1/embeddings."""

    model: str = ""
    input: str | list[str]


class ImageRequest(_Body):
    """POST /v1/images/generations (OpenAI's shape; ``steps``/``guidance_scale`` are omnitune's)."""

    model: str = ""
    prompt: str = Field(..., min_length=1)
    n: int = Field(1, ge=1, le=10)
    size: str | None = Field(None, pattern=r"^\d+x\d+$", description="WIDTHxHEIGHT; default native")
    response_format: str = "b64_json"
    seed: int | None = None
    steps: int | None = Field(None, ge=1, le=200)
    guidance_scale: float | None = Field(None, ge=0.0, le=30.0)


class SpeechRequest(_Body):
    """POST /v1/audio/speech: ``input`` spoken in ``voice`` (TTS), or the description of music (MusicGen)."""

    model: str = ""
    input: str = Field(..., min_length=1, max_length=4096)
    voice: str | None = None
    response_format: str = "wav"
    seed: int | None = None


class MusicRequest(_Body):
    """POST /v1/audio/generations: ``seconds`` of music for the ``prompt`` description."""

    model: str = ""
    prompt: str = Field(..., min_length=1, max_length=4096)
    seconds: float | None = Field(None, gt=0.0, le=30.0, description="default: the plan's sample_seconds")
    response_format: str = "wav"
    seed: int | None = None
    guidance_scale: float | None = Field(None, ge=0.0, le=30.0)
