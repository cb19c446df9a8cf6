"""`omnitune models push`: huggingface_hub uploads an exported, equivalence-checked model to a local
server on 127.0.0.1 that speaks the Hub's repo-create, preupload and commit API; the files arrive intact."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from registry_helpers import register_directory, trained_lora
from typer.testing import CliRunner

pytestmark = pytest.mark.slow


class HubState:
    """What the local Hub received."""

    def __init__(self) -> None:
        self.repos: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.tokens: list[str] = []
        self.commits: list[dict[str, Any]] = []


def _handler(state: HubState) -> type[BaseHTTPRequestHandler]:
    class Hub(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self_url = f"http://{self.headers['Host']}"
            state.tokens.append(self.headers.get("Authorization", ""))
            parts = self.path.split("?")[0].strip("/").split("/")
            if parts[:3] == ["api", "repos", "create"]:
                payload = json.loads(body)
                repo_id = (
                    f"{payload['organization']}/{payload['name']}"
                    if payload.get("organization")
                    else (payload["name"])
                )
                state.repos[repo_id] = payload
                return self._json({"url": f"{self_url}/{repo_id}", "name": repo_id})
            if parts[:2] == ["api", "validate-yaml"]:
                import yaml

                front = json.loads(body)["content"].split("---")[1]
                state.repos["card"] = yaml.safe_load(front)
                return self._json({"errors": [], "warnings": []})
            if parts[0] == "api" and parts[1] == "models" and parts[4] == "preupload":
                files = json.loads(body)["files"]
                return self._json(
                    {
                        "files": [
                            {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files
                        ]
                    }
                )
            if parts[0] == "api" and parts[1] == "models" and parts[4] == "commit":
                lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
                state.commits.append(lines[0]["value"])
                for line in lines[1:]:
                    assert line["key"] == "file", line
                    state.files[line["value"]["path"]] = base64.b64decode(line["value"]["content"])
                oid = hashlib.sha1(body).hexdigest()
                repo_id = f"{parts[2]}/{parts[3]}"
                return self._json({"commitUrl": f"{self_url}/{repo_id}/commit/{oid}", "commitOid": oid})
            self.send_error(404, f"unknown {self.path}")

        def _json(self, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Hub


@pytest.fixture
def hub() -> Iterator[tuple[str, HubState]]:
    state = HubState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()
    server.server_close()


def test_push_uploads_an_equivalence_checked_export(
    hub: tuple[str, HubState], tmp_path_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    from omnitune.cli.main import app
    from omnitune.registry.versions import history

    # the only server reachable is the local one; huggingface_hub reads the flag once, at import
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    url, state = hub
    trained = trained_lora(tmp_path_factory.mktemp("trained"))
    register_directory(trained / "out", "opp")
    result = CliRunner().invoke(
        app,
        [
            "models",
            "push",
            "opp:v1",
            "acme/opposites",
            "--format",
            "gguf",
            "--endpoint",
            url,
            "--token",
            "hf_test",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    pushed = json.loads(result.stdout)
    assert pushed["repo_id"] == "acme/opposites" and pushed["commit_url"].startswith(
        f"{url}/acme/opposites/commit/"
    )
    created = state.repos["acme/opposites"]
    assert (
        created.get("private") is True or created.get("visibility") == "private"
    ) and "Bearer hf_test" in state.tokens
    assert set(state.files) == {"model.gguf", "README.md", "omnitune_export.json"}
    record = json.loads(state.files["omnitune_export.json"])
    assert record["equivalence"]["passed"] and record["format"] == "gguf"
    digest = hashlib.sha256(b"model.gguf\0" + state.files["model.gguf"] + b"\0").hexdigest()
    assert record["sha256"] == digest  # the GGUF arrived byte for byte
    assert "base_model: omnitune/tiny-llama" in state.files["README.md"].decode()
    assert state.repos["card"]["tags"] == ["omnitune"]  # the model card's YAML was validated
    assert state.commits[0]["summary"] == "omnitune: opp:v1 (gguf)"
    assert history("opp")[0].action == "push" and history("opp")[0].details["repo_id"] == "acme/opposites"
