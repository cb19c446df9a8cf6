"""From a plan to pipeline stages: dependency order, data per stage, base-model overrides by role."""

from __future__ import annotations

from pathlib import Path

from omnitune.pipelines.record import StageRecord, StageState
from omnitune.plan.schema import PipelineStage, TrainingPlan


class PipelineError(ValueError):
    """The plan, data or options cannot make a runnable pipeline; the message says what to change."""


def plan_stages(plan: TrainingPlan) -> list[PipelineStage]:
    """The plan's stages, or one independent stage per model when the plan lists none."""
    if plan.pipeline.stages:
        return list(plan.pipeline.stages)
    return [PipelineStage(name=m.role or f"model{i}", role=m.role) for i, m in enumerate(plan.models)]


def dependency_order(stages: list[PipelineStage]) -> list[PipelineStage]:
    """Stages sorted so each comes after all of its `depends_on` (unknown names and cycles refused)."""
    names = {s.name for s in stages}
    for stage in stages:
        unknown = [d for d in stage.depends_on if d not in names]
        if unknown:
            raise PipelineError(f"pipeline.stages[{stage.name}].depends_on names unknown stage(s) {unknown}")
    ordered: list[PipelineStage] = []
    placed: set[str] = set()
    while len(ordered) < len(stages):
        ready = [s for s in stages if s.name not in placed and set(s.depends_on) <= placed]
        if not ready:
            stuck = [s.name for s in stages if s.name not in placed]
            raise PipelineError(f"pipeline.stages has a dependency cycle among {stuck}")
        ordered.extend(ready)
        placed.update(s.name for s in ready)
    return ordered


def apply_base_models(plan: TrainingPlan, overrides: dict[str, str]) -> None:
    """Replace models' base_model by role (or stage name); method and recipe follow the catalog entry."""
    from omnitune.catalog import get_model

    by_stage = {s.name: s.role for s in plan_stages(plan)}
    roles = {m.role for m in plan.models}
    for key, model_id in overrides.items():
        role = key if key in roles else by_stage.get(key)
        if role is None:
            raise PipelineError(
                f"--base-model {key}={model_id}: no role or stage {key!r}; roles: {sorted(roles)}"
            )
        model = next(m for m in plan.models if m.role == role)
        model.base_model = model_id
        try:
            entry = get_model(model_id)
        except KeyError:
            continue  # a Hub id or local folder keeps the plan's method and recipe
        if entry.methods and model.method not in entry.methods:
            model.method = entry.methods[0]
        model.recipe, model.base_model = str(entry.recipe), entry.id


def build_stages(plan: TrainingPlan, data: dict[str, str | Path]) -> list[StageRecord]:
    """One record per stage in dependency order, with its model and data; missing data is refused."""
    stages = dependency_order(plan_stages(plan))
    known = {s.name for s in stages} | {s.role for s in stages}
    unknown = sorted(set(data) - known)
    if unknown:
        raise PipelineError(f"--data {unknown}: not a stage or role of this plan; use one of {sorted(known)}")
    records = []
    for stage in stages:
        index = _model_index(plan, stage)
        model = plan.models[index]
        path = data.get(stage.name, data.get(stage.role))
        record = StageRecord(
            name=stage.name,
            role=stage.role,
            model_index=index,
            base_model=model.base_model,
            depends_on=list(stage.depends_on),
            data=str(Path(path).resolve()) if path else None,
        )
        if not is_trainable(model.base_model):
            record.state, record.reason = StageState.USED_AS_IS, used_as_is_reason(model.base_model)
        elif path is None:
            raise PipelineError(
                f"stage {stage.name!r} ({stage.role}, {model.base_model}) needs training data: "
                f"--data {stage.name}=PATH (or {stage.role}=PATH)"
            )
        elif not Path(path).exists():
            raise PipelineError(f"--data {stage.name}={path}: no such file or folder")
        records.append(record)
    return records


def _model_index(plan: TrainingPlan, stage: PipelineStage) -> int:
    for index, model in enumerate(plan.models):
        if model.role == stage.role:
            return index
    raise PipelineError(
        f"pipeline stage {stage.name!r} has role {stage.role!r}, but no entry of `models` has that role "
        f"(roles: {[m.role for m in plan.models]})"
    )


def is_trainable(base_model: str) -> bool:
    """False only for catalog models marked `trainable: false` (they are used as they are)."""
    from omnitune.catalog import get_model

    try:
        return bool(get_model(base_model).trainable)
    except KeyError:
        return True


def used_as_is_reason(base_model: str) -> str:
    """Why a stage runs no job, naming the catalog's trainable route when there is one."""
    from omnitune.catalog import get_model

    entry = get_model(base_model)
    route = (
        f"; to train this stage use --base-model ROLE={entry.nearest_trainable}"
        if entry.nearest_trainable
        else ""
    )
    return f"{entry.id} is not trainable by omnitune (trainable: false): used as is{route}"
