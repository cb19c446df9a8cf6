"""Shared by the eval/registry/export/serve tests: one tiny LoRA model trained once per process, registered
into each test's own store, and a small local HTTP server for fake-free endpoint tests."""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from llm_sft_helpers import OPPOSITES, make_context, run_recipe

from omnitune.store.records import ModelVersionRecord

_TRAINED: dict[str, Path] = {}


def trained_lora(root: Path) -> Path:
    """A LoRA of omnitune/tiny-llama trained 20 steps on the opposites chat data (cached per process)."""
    if "lora" not in _TRAINED:
        import torch

        torch.set_num_threads(1)
        hp = {
            "batch_size": 8,
            "num_threads": 1,
            "save_steps": 100,
            "learning_rate": 2e-2,
            "lora_r": 16,
            "max_steps": 40,
        }
        ctx, _ = make_context(root, "lora", hp)
        assert run_recipe(ctx).status == "completed"
        _TRAINED["lora"] = root
    return _TRAINED["lora"]


def opposites_data(root: Path) -> Path:
    """The prepared dataset the cached model was trained on."""
    return root / "data"


def questions_file(path: Path) -> Path:
    """A JSONL of held-out-style QA prompts with reference answers."""
    lines = [
        json.dumps({"prompt": f"opposite of {w}", "answer": a}) for w, a in sorted(OPPOSITES.items())[:6]
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def register_directory(
    artefact: Path, name: str, base_model: str = "omnitune/tiny-llama"
) -> ModelVersionRecord:
    """Register a trained directory as the next version of ``name`` in the current test's store."""
    from omnitune.services.models import artefact_sha256
    from omnitune.settings import get_settings
    from omnitune.store import model_versions
    from omnitune.store.tables import utcnow

    version = model_versions.next_version(name)
    target = get_settings().models_dir / name / f"v{version}" / "artefact"
    shutil.copytree(artefact, target)
    return model_versions.insert_version(
        id=uuid.uuid4().hex[:12],
        name=name,
        version=version,
        artefact_path=str(target),
        sha256=artefact_sha256(target),
        base_model=base_model,
        method="lora",
        recipe="llm_sft",
        created_at=utcnow(),
    )


Handler = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


@contextmanager
def json_server(handle: Handler) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP server on 127.0.0.1 answering POSTed JSON with ``handle(path, body)``."""
    seen: list[dict[str, Any]] = []

    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            seen.append({"path": self.path, "body": body, "headers": dict(self.headers)})
            status, payload = handle(self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
