"""Optional mirroring to MLflow: a registered version's job becomes an MLflow run (the plan's hyperparameters
as params, every step's metrics from `events.jsonl`, job and plan ids as tags) and the version a
registered-model version (its artefact path as source, lineage as tags).

On when ``mlflow`` is importable and ``OMNITUNE_MLFLOW_TRACKING_URI`` is set, or when the plan's
``training.hyperparameters.report_to`` names ``mlflow`` (then the store is ``sqlite:///<home>/mlflow.db``).
Mirroring never fails a job or a registration: a failure is recorded as a ``warning`` event.
"""

from __future__ import annotations

import json
import math
import re
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from omnitune.plan.schema import TrainingPlan
from omnitune.runtime.events import iter_events
from omnitune.runtime.jobdir import JobDir
from omnitune.runtime.states import record_event
from omnitune.settings import get_settings
from omnitune.store import registry
from omnitune.store.records import ModelVersionRecord

INSTALL_HINT = "pip install 'omnitune[tracking]' (mlflow-skinny)"
EXPERIMENT = "omnitune"
_METRIC_EVENTS = {"metrics", "eval", "evaluation"}
_NOT_METRICS = {"step", "max_steps", "pid", "pid_started_at", "eta_s"}
_RUN_TAGS = ("job_id", "plan_id", "base_model", "method", "recipe", "dataset_hash")
_MAX_PARAM_VALUE = 6000  # MLflow's limit on a param value's length
_BAD_KEY_CHARS = re.compile(r"[^\w./ :-]")


@dataclass
class MlflowLocation:
    """Where a version was mirrored: the tracking store, the run, and the registered-model version."""

    tracking_uri: str
    run_id: str
    model_name: str
    model_version: str

    @property
    def model_uri(self) -> str:
        """``models:/NAME/N``, the way MLflow addresses a registered-model version."""
        return f"models:/{self.model_name}/{self.model_version}"

    def tags(self) -> dict[str, str]:
        """The omnitune version tags that record this location (shown by `omnitune models show`)."""
        return {"mlflow.tracking_uri": self.tracking_uri, "mlflow.run_id": self.run_id,
                "mlflow.model_uri": self.model_uri}  # fmt: skip


def requested_by_plan(plan: TrainingPlan | None) -> bool:
    """True when the plan's ``training.hyperparameters.report_to`` names mlflow (or "all")."""
    report_to = plan.training.hyperparameters.get("report_to") if plan is not None else None
    names = [report_to] if isinstance(report_to, str) else list(report_to or [])
    return any(str(name).lower() in ("mlflow", "all") for name in names)


def tracking_uri(plan: TrainingPlan | None) -> str | None:
    """OMNITUNE_MLFLOW_TRACKING_URI, else a SQLite store under the home when the plan asks; None: off."""
    settings = get_settings()
    if settings.mlflow_tracking_uri:
        return settings.mlflow_tracking_uri
    if requested_by_plan(plan):
        return f"sqlite:///{settings.home / 'mlflow.db'}"
    return None


def mirror_registered(version: ModelVersionRecord, job_dir: JobDir) -> MlflowLocation | None:
    """Mirror a version registered from ``job_dir`` when configured; a failure becomes a warning event."""
    plan = _read_plan(job_dir)
    uri = tracking_uri(plan)
    if uri is None:
        return None
    job_id = version.job_id or ""
    try:
        location = mirror_version(version, job_dir, plan, uri)
        for key, value in location.tags().items():
            registry.set_tag(version.id, key, value)
    except Exception as exc:
        traceback.print_exc()
        message = f"mirroring {version.ref} to MLflow at {uri} failed: {type(exc).__name__}: {exc}"
        record_event(job_id, job_dir.root, "warning", warning=message)
        return None
    record_event(job_id, job_dir.root, "mirrored", model_version=version.ref, **location.tags())
    return location


def mirror_version(
    version: ModelVersionRecord, job_dir: JobDir, plan: TrainingPlan | None, uri: str
) -> MlflowLocation:
    """Log the job as a finished run and register the version under its name; return where."""
    client = _client(uri)
    events = list(iter_events(job_dir.events_file))
    hyperparameters = plan.training.hyperparameters if plan is not None else {}
    run_id = _log_run(client, _experiment_id(client, uri), version, hyperparameters, events)
    _ensure_registered_model(client, version.name)
    created = client.create_model_version(
        version.name, source=version.artefact_path, run_id=run_id, tags=lineage_tags(version),
        description=f"omnitune {version.ref}: {version.method} of {version.base_model}",
    )  # fmt: skip
    return MlflowLocation(uri, run_id, version.name, str(created.version))


def lineage_tags(version: ModelVersionRecord) -> dict[str, str]:
    """The version's identity and lineage as MLflow tags (empty values left out)."""
    values = {"version_id": version.id, "ref": version.ref, "sha256": version.sha256,
              "artefact_path": version.artefact_path, "base_model": version.base_model,
              "method": version.method, "recipe": version.recipe, "plan_id": version.plan_id,
              "job_id": version.job_id, "dataset_hash": version.dataset_hash}  # fmt: skip
    return {f"omnitune.{key}": str(value) for key, value in values.items() if value}


def params_of(hyperparameters: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Hyperparameters as MLflow params: nested dicts flattened to ``a.b``, lists as JSON, values capped."""
    params: dict[str, str] = {}
    for key, value in hyperparameters.items():
        name = _metric_key(f"{prefix}{key}")
        if isinstance(value, dict) and value:
            params.update(params_of(value, f"{name}."))
        else:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            params[name] = text[:_MAX_PARAM_VALUE]
    return params


def metrics_of(events: Iterable[dict[str, Any]]) -> dict[tuple[str, int], tuple[float, int]]:
    """``(key, step) -> (value, timestamp_ms)`` of every numeric metric (a re-run step after resume wins)."""
    found: dict[tuple[str, int], tuple[float, int]] = {}
    step = 0
    for event in events:
        if isinstance(event.get("step"), int):
            step = event["step"]
        if event["event"] in _METRIC_EVENTS:
            values = {k: v for k, v in event.items() if k not in _NOT_METRICS}
        elif event["event"] == "result":
            values = dict(event.get("metrics") or {})
        else:
            continue
        for key, value in _finite_numbers(values):
            found[(_metric_key(key), step)] = (float(value), _millis(event["ts"]))
    return found


def _log_run(
    client: Any, experiment_id: str, version: ModelVersionRecord, hyperparameters: dict[str, Any],
    events: list[dict[str, Any]],
) -> str:  # fmt: skip
    from mlflow.entities import Metric, Param

    tags = {f"omnitune.{key}": str(getattr(version, key)) for key in _RUN_TAGS if getattr(version, key)}
    start = _millis(events[0]["ts"]) if events else None
    run = client.create_run(experiment_id, start_time=start, tags=tags, run_name=f"job {version.job_id}")
    run_id = run.info.run_id
    params = [Param(k, v) for k, v in params_of(hyperparameters).items()]
    for chunk in _chunks(params, 100):
        client.log_batch(run_id, params=chunk)
    metrics = [Metric(k, v, ts, step) for (k, step), (v, ts) in metrics_of(events).items()]
    for chunk in _chunks(metrics, 1000):
        client.log_batch(run_id, metrics=chunk)
    client.set_terminated(run_id, "FINISHED", end_time=_millis(events[-1]["ts"]) if events else None)
    return str(run_id)


def _client(uri: str) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ValueError(f"mlflow is not installed: {INSTALL_HINT}") from None
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _experiment_id(client: Any, uri: str) -> str:
    """The ``omnitune`` experiment (created on first use; local stores keep artifacts under the home)."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(EXPERIMENT)
    if found is not None:
        return str(found.experiment_id)
    local = uri.startswith(("sqlite:", "file:")) or "://" not in uri
    location = (get_settings().home / "mlflow-artifacts").as_uri() if local else None
    try:
        return str(client.create_experiment(EXPERIMENT, artifact_location=location))
    except MlflowException:  # another worker created it first
        return str(client.get_experiment_by_name(EXPERIMENT).experiment_id)


def _ensure_registered_model(client: Any, name: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(name, description=f"omnitune model {name}")
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise


def _read_plan(job_dir: JobDir) -> TrainingPlan | None:
    try:
        return job_dir.read_plan()
    except (FileNotFoundError, ValueError):
        return None


def _finite_numbers(values: dict[str, Any]) -> Iterator[tuple[str, float]]:
    for key, value in values.items():
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            yield key, float(value)


def _metric_key(key: str) -> str:
    return _BAD_KEY_CHARS.sub("_", key)


def _millis(ts: str) -> int:
    return int(datetime.fromisoformat(ts).timestamp() * 1000)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
