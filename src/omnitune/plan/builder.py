"""build_plan: English request (+ explicit options) -> a complete, validated TrainingPlan."""

from __future__ import annotations

from typing import Any

from omnitune.catalog.entries import get_model
from omnitune.catalog.hardware import get_gpu
from omnitune.plan import describe
from omnitune.plan.adapt import DataShape
from omnitune.plan.datacheck import inspect_data
from omnitune.plan.feasibility import review
from omnitune.plan.interpreter import Interpretation, interpret
from omnitune.plan.pipelines import PipelineSpec, detect_pipeline
from omnitune.plan.presets import data_spec
from omnitune.plan.schema import (
    Capabilities,
    Cost,
    DataSpec,
    Estimates,
    Feasibility,
    Gpu,
    ModelChoice,
    Pipeline,
    PipelineStage,
    Training,
    TrainingPlan,
)
from omnitune.plan.selection import choose_model
from omnitune.plan.stages import StagePlan, StageRequest, plan_stage
from omnitune.plan.timeline import build_steps
from omnitune.types import Method, Modality, PipelineType, Preset, Task, modality_of

DEFAULT_TASK = {
    Modality.LLM: Task.INSTRUCTION_TUNING,
    Modality.IMAGE: Task.TEXT_TO_IMAGE,
    Modality.VIDEO: Task.TEXT_TO_VIDEO,
    Modality.AUDIO: Task.MUSIC_GENERATION,
    Modality.MULTIMODAL: Task.VISION_LANGUAGE,
}
STORAGE_GB_PER_B_PARAMS = 4.0  # checkpoints + artefacts, per billion parameters


def build_plan(
    request: str,
    *,
    preset: str | Preset | None = None,
    gpu: str | None = None,
    budget_usd: float | None = None,
    data_path: str | None = None,
    base_model: str | None = None,
    method: str | Method | None = None,
    llm: str | None = None,
) -> TrainingPlan:
    """The one planning entry point; explicit arguments override what the text says."""
    warnings: list[str] = []
    interpreter = "rules"
    it = interpret(request)
    if llm:
        from omnitune.plan.llm import interpret_with_llm

        it, interpreter, note = interpret_with_llm(request, llm, fallback=it)
        warnings += [note] if note else []
    _apply_overrides(it, base_model, method)
    chosen_preset = Preset(preset) if preset else Preset(it.reference_preset or Preset.BALANCED)
    gpu_id = get_gpu(gpu).id if gpu else it.explicit.gpu
    budget = budget_usd if budget_usd is not None else it.explicit.budget_usd
    plan = TrainingPlan(request=request, interpreter=interpreter, warnings=warnings + it.notes)
    plan.intent = describe.intent(it)
    if it.vague or it.modality is None:
        return describe.vague_plan(plan, it)
    return _full_plan(plan, it, chosen_preset, gpu_id, budget, data_path or it.explicit.data_path)


def _apply_overrides(it: Interpretation, base_model: str | None, method: str | Method | None) -> None:
    """Explicit options win over the text; a named model settles the modality."""
    if method:
        it.method = Method(method)
    if base_model:
        it.base_model = get_model(base_model).id
    if it.base_model and get_model(it.base_model).modality is not it.modality:
        named = get_model(it.base_model)  # the model settles the modality; keep only its tasks
        it.tasks = [t for t in it.tasks if modality_of(t) is named.modality]
        it.modality, it.vague = named.modality, False
    if it.modality and not it.tasks:
        model_tasks = get_model(it.base_model).tasks if it.base_model else []
        it.tasks = [model_tasks[0] if model_tasks else DEFAULT_TASK[it.modality]]
        it.notes.append(f"no task stated; assuming {it.tasks[0].value}")


def _full_plan(
    plan: TrainingPlan,
    it: Interpretation,
    preset: Preset,
    gpu_id: str | None,
    budget: float | None,
    data_path: str | None,
) -> TrainingPlan:
    spec = detect_pipeline(it.rule_scores, it.reference_pipeline, _video_cue(it))
    if spec is not None:
        it.modality = spec.modality
        it.tasks = list(dict.fromkeys([*spec.tasks, *it.tasks]))[:6]
    requests = _stage_requests(it, spec, preset, gpu_id)
    first = requests[0]
    first_data = data_spec(
        choose_model(first.task, preset, method=first.method, base_model=first.base_model).recipe
    )
    data, stats = _data(first_data, data_path, plan.warnings)
    shape = DataShape.from_stats(data.found_samples, stats) if data.found_samples else None
    for req in requests:
        req.samples = data.found_samples or data.recommended_samples or 1
        req.data = shape
    stages = [plan_stage(r) for r in requests]
    checks = review(it, stages, requests, budget)
    plan.capabilities = _capabilities(it)
    plan.models = [_model_choice(s) for s in stages]
    plan.pipeline = _pipeline(spec, stages)
    plan.data = data
    plan.training = _training(stages[0], preset, budget, stages)
    plan.estimates = _estimates(stages)
    plan.steps = build_steps(stages, spec is not None)
    plan.warnings += [w for s in stages for w in s.choice.warnings] + checks.warnings
    plan.alternatives = checks.alternatives + describe.other_approaches(it, stages)
    plan.questions = describe.follow_up_questions(it, data)
    plan.feasibility = Feasibility(ok=not checks.problems, problems=checks.problems)
    return plan


def _video_cue(it: Interpretation) -> bool:
    return any(modality_of(t) is Modality.VIDEO and s >= 1 for t, s in it.task_scores.items()) or "video" in (
        it.text.lower()
    )


def _stage_requests(
    it: Interpretation, spec: PipelineSpec | None, preset: Preset, gpu: str | None
) -> list[StageRequest]:
    overrides = describe.quality_overrides(it)
    count = it.explicit.gpu_count
    if spec is None:
        return [
            StageRequest(
                "model",
                _role(it.tasks[0]),
                it.tasks[0],
                preset,
                1,
                it.method,
                it.base_model,
                gpu,
                count,
                overrides,
                it.explicit.model_size_b,
            )
        ]
    named = get_model(it.base_model) if it.base_model else None
    requests = []
    for stage in spec.stages:
        mine = named is not None and stage.task in named.tasks
        requests.append(
            StageRequest(
                stage.name,
                stage.role,
                stage.task,
                preset,
                1,
                it.method if mine else None,
                it.base_model if mine else None,
                gpu,
                count,
                overrides,
                depends_on=list(stage.depends_on),
            )
        )
    return requests


def _role(task: Task) -> str:
    return {
        Modality.LLM: "language_model",
        Modality.IMAGE: "image_model",
        Modality.VIDEO: "video_model",
        Modality.AUDIO: "audio_model",
        Modality.MULTIMODAL: "multimodal_model",
    }[modality_of(task)]


def _data(spec: dict[str, Any], path: str | None, warnings: list[str]) -> tuple[DataSpec, dict[str, Any]]:
    data = DataSpec(
        kind=spec["kind"],
        format=spec["format"],
        path=path,
        min_samples=spec["min_samples"],
        recommended_samples=spec["recommended_samples"],
        preprocessing=spec.get("preprocessing", []),
        augmentation=spec.get("augmentation", []),
    )
    if not path:
        return data, {}
    found = inspect_data(path, data.min_samples, data.recommended_samples)
    data.found_samples = found.found_samples
    data.format = found.format or data.format
    warnings += found.warnings
    return data, found.stats


def _capabilities(it: Interpretation) -> Capabilities:
    return Capabilities(
        modality=it.modality,
        tasks=it.tasks,
        quality=describe.quality(it),
        sub_capabilities=describe.sub_capabilities(it),
        styles=describe.styles(it),
        output_formats=describe.output_formats(it.modality),
    )


def _model_choice(s: StagePlan) -> ModelChoice:
    from omnitune.plan.schema import Alternative

    return ModelChoice(
        role=s.role,
        base_model=s.choice.model.id,
        method=s.method,
        recipe=s.choice.recipe.value,
        peak_vram_gb=s.fit.peak_gb,
        estimated_hours=s.hours,
        alternatives=[Alternative(model_id=m, reason=r) for m, r in s.choice.alternatives],
    )


def _pipeline(spec: PipelineSpec | None, stages: list[StagePlan]) -> Pipeline:
    if spec is None:
        return Pipeline(
            type=PipelineType.SINGLE,
            stages=[PipelineStage(name="model", role=stages[0].role)],
            description="One model, trained and served on its own.",
        )
    return Pipeline(
        type=spec.type,
        description=spec.description,
        stages=[PipelineStage(name=s.name, role=s.role, depends_on=s.depends_on) for s in stages],
    )


def _training(first: StagePlan, preset: Preset, budget: float | None, stages: list[StagePlan]) -> Training:
    return Training(
        preset=preset,
        hyperparameters=first.fit.hyperparameters,
        adjustments=[f"{s.name}: {a}" if len(stages) > 1 else a for s in stages for a in s.fit.adjustments],
        gpu=Gpu(type=first.gpu.id, count=first.gpu_count),
        budget_usd=budget,
    )


def _estimates(stages: list[StagePlan]) -> Estimates:
    gpu_cost = round(sum(s.cost for s in stages), 2)
    storage_gb = sum(s.choice.model.params_b * STORAGE_GB_PER_B_PARAMS for s in stages)
    from omnitune.catalog.hardware import load_prices

    prices = load_prices()
    storage = round(storage_gb * prices.storage_usd_per_gb_month, 2)
    fee = round(gpu_cost * prices.platform_fee_fraction, 2)
    return Estimates(
        peak_vram_gb=max(s.fit.peak_gb for s in stages),
        gpu_hours=round(sum(s.hours * s.gpu_count for s in stages), 2),
        cost_usd=Cost(
            gpu=gpu_cost, storage=storage, platform_fee=fee, total=round(gpu_cost + storage + fee, 2)
        ),
    )
