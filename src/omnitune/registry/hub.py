"""Push a model version to the Hugging Face Hub (or any server speaking its API): export with the
equivalence check, write a model card with the lineage, create the repo, upload one commit.

The token comes from ``--token``, else the user's credential vault (``hf_token``), else HF_TOKEN.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel


class PushResult(BaseModel):
    """Where the model went."""

    repo_id: str
    repo_url: str
    commit_url: str
    commit_oid: str
    format: str
    files: list[str]


def push_to_hub(
    ref: str,
    repo_id: str,
    *,
    fmt: str = "merged",
    endpoint: str | None = None,
    token: str | None = None,
    user_id: str | None = None,
    private: bool = True,
) -> PushResult:
    """Export ``ref`` as ``fmt`` and upload it to ``repo_id`` in one commit."""
    from huggingface_hub import HfApi

    from omnitune.registry.export.exporter import export_model
    from omnitune.registry.references import resolve_model
    from omnitune.registry.versions import audit

    api = HfApi(endpoint=endpoint, token=_token(token, user_id))
    with tempfile.TemporaryDirectory(prefix="omnitune-push-") as tmp:
        out = Path(tmp) / "export"
        result = export_model(ref, fmt, out)
        (out / "README.md").write_text(
            _model_card(ref, fmt, result.equivalence.max_logit_diff), encoding="utf-8"
        )
        repo, commit = _upload(api, repo_id, out, private, f"omnitune: {result.source} ({fmt})")
        files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    pushed = PushResult(
        repo_id=repo_id,
        repo_url=str(repo),
        commit_url=commit.commit_url,
        commit_oid=commit.oid,
        format=fmt,
        files=files,
    )
    version = resolve_model(ref).version
    if version is not None:
        audit("push", version.ref, repo_id=repo_id, endpoint=api.endpoint, commit=commit.oid, format=fmt)
    return pushed


def _upload(api: Any, repo_id: str, folder: Path, private: bool, message: str) -> tuple[Any, Any]:
    """Create the repository (if needed) and upload ``folder`` as one commit, with readable errors."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    try:
        repo = api.create_repo(repo_id, private=private, exist_ok=True)
        commit = api.upload_folder(folder_path=str(folder), repo_id=repo_id, commit_message=message)
    except OfflineModeIsEnabled:
        raise ValueError(f"push to {api.endpoint}: HF_HUB_OFFLINE=1 is set; unset it to push") from None
    except (HfHubHTTPError, OSError) as exc:
        raise ValueError(f"push of {repo_id} to {api.endpoint} failed: {exc}") from None
    return repo, commit


def _token(token: str | None, user_id: str | None) -> str | None:
    if token:
        return token
    if user_id:
        from omnitune.services.vault import Credential, reveal

        stored = reveal(user_id, Credential.HF_TOKEN)
        if stored:
            return stored
    return os.environ.get("HF_TOKEN")


def _model_card(ref: str, fmt: str, max_logit_diff: float) -> str:
    from omnitune.registry.references import resolve_model

    version = resolve_model(ref).version
    lines = ["---", "library_name: transformers", "tags: [omnitune]"]
    if version is not None and version.base_model:
        lines.append(f"base_model: {version.base_model}")
    lines += [
        "---",
        "",
        f"# {ref}",
        "",
        f"Exported by omnitune as `{fmt}`; equivalence check passed "
        f"(max logit difference {max_logit_diff:.2e} against the trained model).",
        "",
    ]
    if version is not None:
        lines += ["| lineage | |", "|---|---|"]
        for key in ("base_model", "method", "recipe", "plan_id", "job_id", "dataset_hash", "sha256"):
            lines.append(f"| {key} | {getattr(version, key) or '-'} |")
        lines += [f"| {k} | {v} |" for k, v in version.metrics.items()]
    return "\n".join(lines) + "\n"
