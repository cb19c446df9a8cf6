"""Semantic task matching with the bundled MiniLM sentence embedder (imports torch; loaded lazily)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from omnitune.plan.lexicon import load_lexicon
from omnitune.settings import get_settings
from omnitune.types import Task


def embedder_path() -> str | None:
    """Directory of the configured embedder: a bundled package name or a path; None if absent."""
    name = get_settings().embedder
    if os.path.isdir(name):
        return name
    spec = importlib.util.find_spec(name.replace("-", "_"))
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "model"
    return str(path) if path.is_dir() else None


def semantic_available() -> bool:
    """True when sentence-transformers and the embedder are installed."""
    return embedder_path() is not None and importlib.util.find_spec("sentence_transformers") is not None


class SemanticMatcher:
    """Cosine similarity of a request to every task's example phrasings."""

    def __init__(self, model_path: str) -> None:
        from sentence_transformers import SentenceTransformer  # heavy: imports torch
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar in CLI output
        self.model: Any = SentenceTransformer(model_path, device="cpu")
        entries = [(e.task, text) for e in load_lexicon().tasks for text in _phrasings(e.task, e.examples)]
        self.tasks = [task for task, _ in entries]
        self.matrix = self._example_matrix([text for _, text in entries], model_path)

    def _example_matrix(self, texts: list[str], model_path: str) -> np.ndarray:
        """Embeddings of all example phrasings, cached as .npy under OMNITUNE_HOME."""
        digest = hashlib.sha256(("\n".join(texts) + model_path).encode()).hexdigest()[:16]
        cache = get_settings().home / "cache" / "planner" / f"tasks-{digest}.npy"
        if cache.exists():
            return np.load(cache)
        matrix = self.encode(texts)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, matrix)
        return matrix

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text."""
        import torch

        # One thread: a sentence is too small to split, and extra threads stall on a busy CPU (10x).
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            vectors = self.model.encode(texts, normalize_embeddings=True, batch_size=64)
        finally:
            torch.set_num_threads(threads)
        return np.asarray(vectors, dtype=np.float32)

    def task_similarities(self, text: str) -> dict[Task, float]:
        """Best cosine similarity of ``text`` to each task's phrasings."""
        sims = self.matrix @ self.encode([text])[0]
        best: dict[Task, float] = {}
        for task, sim in zip(self.tasks, sims.tolist(), strict=True):
            if sim > best.get(task, -1.0):
                best[task] = sim
        return best


def _phrasings(task: Task, examples: tuple[str, ...]) -> list[str]:
    return [task.value.replace("_", " "), *examples]


@lru_cache(maxsize=2)
def _matcher(path: str) -> SemanticMatcher:
    return SemanticMatcher(path)


def get_matcher() -> SemanticMatcher | None:
    """The process-wide matcher (built on first use), or None when the embedder is not installed."""
    path = embedder_path()
    if path is None or importlib.util.find_spec("sentence_transformers") is None:
        return None
    return _matcher(path)
