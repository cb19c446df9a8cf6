"""Temporary side-by-side sessions: a fine-tuned LLM and its base answer the same prompts; a person's
choice between the two answers is appended to their preference set (prompt/chosen/rejected JSONL,
the format the DPO-family recipes train on).

Sessions live in the server's memory and are closed after SESSION_TTL_S without use.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from omnitune.runtime.events import now_iso
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
    created: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.time)
    answers: dict[str, dict[str, str]] = field(default_factory=dict)

    def info(self) -> dict[str, Any]:
        """What the API shows about a session."""
        return {"session_id": self.id, "model_id": self.version.id, "model": self.version.ref,
                "base_model": self.version.base_model, "prompts": len(self.answers),
                "expires_in_s": max(0, round(self.last_used + SESSION_TTL_S - time.time()))}  # fmt: skip


_sessions: dict[str, TestSession] = {}
_lock = threading.Lock()


def deploy(user: UserRecord, version: ModelVersionRecord) -> TestSession:
    """Load the version and its base model side by side (LLM versions only)."""
    from omnitune.registry.references import resolve_model
    from omnitune.serving.engine import ServedModel

    if not version.recipe.startswith("llm_"):
        raise PlanFieldError("model_id", f"{version.ref} is a {version.recipe} model; side-by-side sessions "
                             "serve language models (compare other models by their metrics)")  # fmt: skip
    base = resolve_model(version.base_model)
    models = {"base": ServedModel.load(base.label, base.path),
              "fine_tuned": ServedModel.load(version.ref, version.artefact_path)}  # fmt: skip
    session = TestSession(uuid.uuid4().hex[:12], user.id, version, models)
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
        _sessions.pop(session_id, None)


def preference_file(user: UserRecord) -> Path:
    """The user's preference set (DPO-ready JSONL)."""
    return get_settings().home / "preferences" / f"{user.id}.jsonl"


def _expire() -> None:
    now = time.time()
    for key in [k for k, s in _sessions.items() if now - s.last_used > SESSION_TTL_S]:
        del _sessions[key]
