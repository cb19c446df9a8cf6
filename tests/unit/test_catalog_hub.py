"""Hub discovery against a local HTTP server replaying recorded Hub API responses."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from omnitune.catalog import hub
from omnitune.types import Task

# Recorded (trimmed) answers of GET /api/models and GET /api/models/{id} on huggingface.co.
LIST = [
    {
        "id": "stabilityai/stable-diffusion-xl-base-1.0",
        "downloads": 2_100_000,
        "likes": 6500,
        "lastModified": "2025-10-30T17:02:18.000Z",
        "pipeline_tag": "text-to-image",
        "tags": ["diffusers", "license:openrail++"],
        "config": {"diffusers": {"_class_name": "StableDiffusionXLPipeline"}},
        "safetensors": {"parameters": {"F16": 3_500_000_000}, "total": 3_500_000_000},
    },
    {
        "id": "black-forest-labs/FLUX.1-dev",
        "downloads": 1_500_000,
        "likes": 11000,
        "lastModified": "2026-08-01T10:00:00.000Z",
        "pipeline_tag": "text-to-image",
        "tags": ["diffusers", "license:other"],
        "safetensors": {"parameters": {"BF16": 11_900_000_000}, "total": 11_900_000_000},
    },
    {
        "id": "someone/tiny-unpopular",
        "downloads": 3,
        "likes": 0,
        "lastModified": "2019-01-01T00:00:00.000Z",
        "pipeline_tag": "text-to-image",
        "tags": [],
    },
]
INFO = {
    "id": "meta-llama/Llama-3.1-8B-Instruct",
    "sha": "0e9e39f249a16976918f6564b8830bc894c89659",
    "config": {"architectures": ["LlamaForCausalLM"], "model_type": "llama"},
    "tags": ["license:llama3.1"],
}


class _Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        url = urlparse(self.path)
        _Handler.seen.append(self.path)
        if url.path == "/api/models":
            body = LIST[: int(parse_qs(url.query).get("limit", ["100"])[0])]
        elif url.path.startswith("/api/models/meta-llama/Llama-3.1-8B-Instruct"):
            body = INFO
        else:
            self.send_error(404)
            return
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    import huggingface_hub.constants as hf_constants

    from omnitune.settings import get_settings

    monkeypatch.setenv("OMNITUNE_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    get_settings.cache_clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    get_settings.cache_clear()


def test_discover_filters_by_task_and_scores_popular_recent_permissive_fitting_models(endpoint: str) -> None:
    found = hub.discover(Task.SUBJECT_DRIVEN, limit=3, memory_gb=24, endpoint=endpoint)
    assert found[0].hub_id == "stabilityai/stable-diffusion-xl-base-1.0"
    assert found[-1].hub_id == "someone/tiny-unpopular"
    sdxl, flux = found[0], next(c for c in found if c.hub_id.startswith("black-forest"))
    assert sdxl.license == "openrail++" and sdxl.params_b == pytest.approx(3.5)
    assert flux.lora_vram_gb is not None and flux.lora_vram_gb > 24  # does not fit: scored down
    assert any("pipeline_tag=text-to-image" in p and "sort=downloads" in p for p in _Handler.seen)


def test_architecture_comes_from_config_json(endpoint: str) -> None:
    assert hub.architecture("meta-llama/Llama-3.1-8B-Instruct", endpoint=endpoint) == "LlamaForCausalLM"


def test_hub_is_cleanly_off_when_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert not hub.hub_enabled()
    assert hub.discover(Task.TEXT_TO_IMAGE, endpoint="http://127.0.0.1:9") == []
    assert hub.architecture("x/y", endpoint="http://127.0.0.1:9") is None


def test_score_weights_downloads_recency_license_and_fit() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    fresh = hub.HubCandidate("a", 10**7, now, "apache-2.0", None, 1.0, 4.4, 0)
    stale = hub.HubCandidate("b", 10, datetime(2016, 1, 1, tzinfo=UTC), None, None, 70.0, 170.0, 0)
    assert hub.score(fresh, 24, now) == pytest.approx(1.0)
    assert hub.score(stale, 24, now) < 0.2
