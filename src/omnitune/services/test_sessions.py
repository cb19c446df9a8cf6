"""Temporary side-by-side sessions: a fine-tuned version and its base answer the same prompts.

Language models answer in text, and a person's choice between the two answers is appended to their
preference set (prompt/chosen/rejected JSONL, the format the DPO-family recipes train on). Text-to-image,
speech, music and video versions generate files instead (``media_sessions.py``), rated into a separate
media preference set.

Sessions live in the server's memory and are closed after SESSION_TTL_S without use; a media session's
files are deleted with it (rated files were copied into the preference set).
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from omnitune.runtime.events import now_iso
from omnitune.services import media_sessions
from omnitune.services.media_sessions import MediaOptions, MediaOutput
from omnitune.services.plans import PlanFieldError
from omnitune.services.users import UserRecord
from omnitune.settings import get_settings
from omnitune.store.records import ModelVersionRecord

SESSION_TTL_S = 1800
Side = Literal["base", "fine_tuned"]


@dataclass
class TestSession:
    """A base and a fine-tuned model loaded for one user."""

    id: str
    user_id: str
    version: ModelVersionRecord
    models: dict[str, Any]
    modality: str = "text"  # or image / speech / music / video
    created: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.time)
    answers: dict[str, dict[str, str]] = field(default_factory=dict)
    outputs: dict[str, MediaOutput] = field(default_factory=dict)

    def info(self) -> dict[str, Any]:
        """What the API shows about a session."""
        prompts = len(self.answers) + len({o.prompt for o in self.outputs.values()})
        return {"session_id": self.id, "model_id": self.version.id, "model": self.version.ref,
                "base_model": self.version.base_model, "modality": self.modality, "prompts": prompts,
                "expires_in_s": max(0, round(self.last_used + SESSION_TTL_S - time.time()))}  # fmt: skip

    @property
    def folder(self) -> Path:
        """Where the session's generated files are kept (media sessions)."""
        return media_sessions.session_folder(self.id)


_sessions: dict[str, TestSession] = {}
_lock = threading.Lock()


def deploy(user: UserRecord, version: ModelVersionRecord) -> TestSession:
    """Load the version and its base model side by side (language, text-to-image, speech, music, video)."""
    kind = media_sessions.media_kind(version)
    if kind is not None:
        session = TestSession(
            uuid.uuid4().hex[:12], user.id, version, media_sessions.load_pair(version), kind
        )
    else:
        session = TestSession(uuid.uuid4().hex[:12], user.id, version, _language_pair(version))
    with _lock:
        _expire()
        _sessions[session.id] = session
    return session


def get(user: UserRecord, session_id: str) -> TestSession:
    """One of the user's open sessions (KeyError otherwise)."""
    with _lock:
        _expire()
        session = _sessions.get(session_id)
    if session is None or session.user_id != user.id:
        raise KeyError(f"no open test session {session_id!r}; start one with POST /api/training/test/deploy")
    session.last_used = time.time()
    return session


def _language_pair(version: ModelVersionRecord) -> dict[str, Any]:
    from omnitune.registry.references import resolve_model
    from omnitune.serving.engine import ServedModel

    if not version.recipe.startswith("llm_"):
        raise PlanFieldError("model_id", f"{version.ref} is a {version.recipe} model; side-by-side sessions "
                             "serve language models and the image_lora, image_dreambooth, "
                             "image_textual_inversion, speech_synthesis, music_generation and video_lora "
                             "recipes' versions (compare other models by their metrics)")  # fmt: skip
    base = resolve_model(version.base_model)
    return {"base": ServedModel.load(base.label, base.path),
            "fine_tuned": ServedModel.load(version.ref, version.artefact_path)}  # fmt: skip


def run_any(session: TestSession, prompt: str, max_tokens: int, options: MediaOptions) -> dict[str, Any]:
    """One prompt through both sides: text answers, or media file URLs with latencies."""
    if session.modality == "text":
        return {"prompt": prompt, **run(session, prompt, max_tokens)}
    return media_sessions.output_json(session.id, run_media(session, prompt, options))


def run_media(session: TestSession, prompt: str, options: MediaOptions) -> MediaOutput:
    """Both media models' outputs for one prompt and seed, saved in the session's folder."""
    output = media_sessions.generate(session.models, session.folder, prompt, options)
    session.outputs[output.id] = output
    return output


def media_file(session: TestSession, name: str) -> Path:
    """A file this session generated (KeyError for any other name: no path leaves the folder)."""
    found = {path.name: path for output in session.outputs.values() for path in output.files.values()}
    path = found.get(name)
    if path is None or not path.resolve().is_relative_to(session.folder.resolve()) or not path.is_file():
        raise KeyError(f"session {session.id} has no file {name!r}; run a prompt first")
    return path


def run(session: TestSession, prompt: str, max_tokens: int = 64) -> dict[str, str]:
    """Both models' answers to one prompt (greedy, so the comparison is repeatable)."""
    from omnitune.serving.schemas import Sampling

    options = Sampling(max_tokens=max_tokens, temperature=0.0)
    answers = {}
    for side, model in session.models.items():
        chat = getattr(model.tokenizer, "chat_template", None)
        ids = model.chat_ids([{"role": "user", "content": prompt}]) if chat else model.text_ids(prompt)
        answers[side] = model.generate(ids, options).text
    session.answers[prompt] = answers
    return answers


def rate_any(
    user: UserRecord, session: TestSession, prompt: str, chosen: Side, output_id: str | None
) -> Path:
    """Record the better side in the session's preference set (text or media); returns its file."""
    if session.modality == "text":
        return rate(user, session, prompt, chosen)
    return media_sessions.rate(user, session.version, _output(session, prompt, output_id), chosen)


def _output(session: TestSession, prompt: str, output_id: str | None) -> MediaOutput:
    if output_id is not None:
        if output_id not in session.outputs:
            raise PlanFieldError(
                "output_id", f"this session has no output {output_id!r}; run the prompt first"
            )
        return session.outputs[output_id]
    latest = [o for o in session.outputs.values() if o.prompt == prompt]
    if not latest:
        raise PlanFieldError(
            "prompt", f"this session has not generated for {prompt[:60]!r} yet; run it first"
        )
    return latest[-1]


def rate(user: UserRecord, session: TestSession, prompt: str, chosen: Side) -> Path:
    """Record which answer was better as a preference pair; returns the preference file."""
    answers = session.answers.get(prompt)
    if answers is None:
        raise PlanFieldError("prompt", f"this session has not answered {prompt[:60]!r} yet; run it first")
    rejected: Side = "base" if chosen == "fine_tuned" else "fine_tuned"
    record = {"prompt": prompt, "chosen": answers[chosen], "rejected": answers[rejected],
              "chosen_side": chosen, "model_version": session.version.ref, "ts": now_iso()}  # fmt: skip
    path = preference_file(user)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    return path


def close(user: UserRecord, session_id: str) -> None:
    """Unload a session's models."""
    get(user, session_id)
    with _lock:
        _drop(session_id)


def preference_file(user: UserRecord) -> Path:
    """The user's preference set (DPO-ready JSONL)."""
    return get_settings().home / "preferences" / f"{user.id}.jsonl"


def _expire() -> None:
    now = time.time()
    for key in [k for k, s in _sessions.items() if now - s.last_used > SESSION_TTL_S]:
        _drop(key)


def _drop(session_id: str) -> None:
    session = _sessions.pop(session_id, None)
    if session is not None and session.modality != "text":
        shutil.rmtree(session.folder, ignore_errors=True)
