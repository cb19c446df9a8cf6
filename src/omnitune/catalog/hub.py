"""Optional Hugging Face Hub discovery: find, score and size models for a task (off when offline)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from omnitune.settings import get_settings
from omnitune.types import Task

# Hub pipeline tags per task (tasks without a Hub tag are searched by their nearest one).
PIPELINE_TAGS: dict[Task, str] = {
    Task.TEXT_TO_IMAGE: "text-to-image",
    Task.SUBJECT_DRIVEN: "text-to-image",
    Task.STYLE_TRANSFER: "text-to-image",
    Task.IMAGE_TO_IMAGE: "image-to-image",
    Task.SUPER_RESOLUTION: "image-to-image",
    Task.IMAGE_CLASSIFICATION: "image-classification",
    Task.TEXT_TO_VIDEO: "text-to-video",
    Task.IMAGE_TO_VIDEO: "image-to-video",
    Task.VIDEO_CLASSIFICATION: "video-classification",
    Task.MUSIC_GENERATION: "text-to-audio",
    Task.SOUND_EFFECTS: "text-to-audio",
    Task.SPEECH_SYNTHESIS: "text-to-speech",
    Task.VOICE_CLONING: "text-to-speech",
    Task.SPEECH_RECOGNITION: "automatic-speech-recognition",
    Task.AUDIO_CLASSIFICATION: "audio-classification",
    Task.VISION_LANGUAGE: "image-text-to-text",
    Task.IMAGE_TEXT_ALIGNMENT: "zero-shot-image-classification",
    Task.TEXT_CLASSIFICATION: "text-classification",
    Task.EMBEDDINGS: "sentence-similarity",
}
PERMISSIVE = ("apache-2.0", "mit", "bsd", "openrail", "cc-by-4.0")


@dataclass
class HubCandidate:
    """One Hub model, scored for a task."""

    hub_id: str
    downloads: int
    last_modified: datetime | None
    license: str | None
    architecture: str | None
    params_b: float | None
    lora_vram_gb: float | None
    score: float


def hub_enabled() -> bool:
    """False when omnitune or huggingface_hub is told to stay offline."""
    offline_env = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    return not (get_settings().offline or offline_env)


def _api(endpoint: str | None) -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=endpoint)


def discover(
    task: Task,
    *,
    limit: int = 20,
    memory_gb: float | None = None,
    endpoint: str | None = None,
    api: Any = None,
) -> list[HubCandidate]:
    """Hub models for ``task`` sorted by score; an empty list when offline."""
    if not hub_enabled():
        return []
    client = api or _api(endpoint)
    tag = PIPELINE_TAGS.get(task, "text-generation")
    infos = client.list_models(
        pipeline_tag=tag, sort="downloads", limit=limit, fetch_config=True, expand=None
    )
    found = [_candidate(info, memory_gb) for info in infos]
    return sorted(found, key=lambda c: -c.score)


def architecture(hub_id: str, *, endpoint: str | None = None, api: Any = None) -> str | None:
    """The model class named in the repo's config.json ('LlamaForCausalLM'), or None."""
    if not hub_enabled():
        return None
    info = (api or _api(endpoint)).model_info(hub_id, expand=["config"])
    return _architecture(info.config)


def _architecture(config: dict[str, Any] | None) -> str | None:
    if not config:
        return None
    archs = config.get("architectures") or []
    return str(archs[0]) if archs else config.get("model_type")


def _license(tags: list[str] | None) -> str | None:
    return next((t.split(":", 1)[1] for t in tags or [] if t.startswith("license:")), None)


def _candidate(info: Any, memory_gb: float | None) -> HubCandidate:
    params = info.safetensors.total / 1e9 if getattr(info, "safetensors", None) else None
    vram = round(params * 2 * 1.2 + 2, 1) if params else None  # bf16 LoRA: weights + 20% + runtime
    cand = HubCandidate(
        info.id,
        int(info.downloads or 0),
        info.last_modified,
        _license(info.tags),
        _architecture(info.config),
        params,
        vram,
        0.0,
    )
    cand.score = score(cand, memory_gb)
    return cand


def score(c: HubCandidate, memory_gb: float | None, now: datetime | None = None) -> float:
    """0..1: downloads 50%, recency 20%, license 15%, fits memory 15%."""
    popularity = min(1.0, math.log10(c.downloads + 1) / 7)
    age_days = ((now or datetime.now(UTC)) - c.last_modified).days if c.last_modified else 3650
    recency = math.exp(-max(0, age_days) / 365)
    lic = c.license or ""
    license_score = 1.0 if lic.startswith(PERMISSIVE) else 0.5 if lic else 0.3
    fits = 1.0 if memory_gb is None or (c.lora_vram_gb or 0) <= memory_gb else 0.0
    return round(0.5 * popularity + 0.2 * recency + 0.15 * license_score + 0.15 * fits, 4)
