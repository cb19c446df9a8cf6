"""Planning one model stage: model, method, hyperparameters, GPU fit, time and cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omnitune.catalog.hardware import GpuType, get_gpu, load_hardware
from omnitune.catalog.recipes import recipe_for
from omnitune.plan.adapt import DataShape, adapt_to_cpu, adapt_to_data, adapt_to_model, from_scratch, tiny
from omnitune.plan.presets import hyperparameters
from omnitune.plan.resources import Fit, fit_to_gpu, gpus_by_price, hourly_price, train_hours
from omnitune.plan.selection import Choice, choose_model
from omnitune.types import Method, Preset, Task


@dataclass
class StagePlan:
    """Everything decided for one model of the plan."""

    name: str
    role: str
    task: Task
    choice: Choice
    fit: Fit
    gpu: GpuType
    gpu_count: int
    hours: float
    hourly_usd: float
    provider: str
    depends_on: list[str] = field(default_factory=list)

    @property
    def method(self) -> Method:
        """The method after fitting (LoRA may have become QLoRA)."""
        return self.fit.method

    @property
    def cost(self) -> float:
        """GPU cost of this stage in USD."""
        return round(self.hours * self.hourly_usd, 2)


@dataclass
class StageRequest:
    """What the builder asks of one stage."""

    name: str
    role: str
    task: Task
    preset: Preset
    samples: int
    method: Method | None = None
    base_model: str | None = None
    gpu: str | None = None
    gpu_count: int = 1
    overrides: dict[str, Any] = field(default_factory=dict)
    size_b: float | None = None
    depends_on: list[str] = field(default_factory=list)
    data: DataShape | None = None  # what inspecting the user's data found


def plan_stage(req: StageRequest) -> StagePlan:
    """Choose the model and fit it to the named GPU, or pick the GPU that does it best."""
    named_gpu = get_gpu(req.gpu) if req.gpu else None
    choice = choose_model(
        req.task,
        req.preset,
        method=req.method,
        base_model=req.base_model,
        memory_gb=named_gpu.memory_gb if named_gpu else None,
        size_b=req.size_b,
    )
    locked = req.method is not None
    notes = [] if locked else _full_weights_for_random_init(choice)
    hp = {**hyperparameters(choice.recipe, req.preset, choice.method), **req.overrides}
    notes += adapt_to_model(choice.model, choice.method, hp)
    notes += adapt_to_data(choice.model, choice.recipe, hp, req.data) if req.data else []
    if tiny(choice.model) and named_gpu is None:
        named_gpu = load_hardware()["cpu"]  # tiny models train on the CPU
    if named_gpu is not None and named_gpu.id == "cpu":
        notes += _cpu_method(choice) + adapt_to_cpu(choice.recipe, choice.method, hp)
    if named_gpu is not None:
        fit = fit_to_gpu(choice.model, choice.recipe, choice.method, hp, named_gpu, method_locked=locked)
        fit.adjustments[:0] = notes
        return _finish(req, choice, fit, named_gpu, req.gpu_count)
    stage = _cheapest(req, choice, hp, locked)
    stage.fit.adjustments[:0] = notes
    return stage


def _full_weights_for_random_init(choice: Choice) -> list[str]:
    """Adapters on random weights learn little: train every weight of a from-config model."""
    if not from_scratch(choice.model) or choice.method not in (Method.LORA, Method.QLORA):
        return []
    options = (Method.FULL_FINETUNE, Method.SFT)
    full = next((m for m in options if recipe_for(choice.model, m) is choice.recipe), None)
    if full is None:
        return []
    before, choice.method = choice.method, full
    return [f"{full.value} instead of {before.value}: {choice.model.id} starts from random weights"]


def _cpu_method(choice: Choice) -> list[str]:
    """QLoRA needs CUDA (bitsandbytes); on the CPU the same adapters train on full-precision weights."""
    if choice.method is not Method.QLORA:
        return []
    choice.method = Method.LORA
    return ["LoRA instead of QLoRA: 4-bit kernels need CUDA"]


def _cheapest(req: StageRequest, choice: Choice, hp: dict[str, Any], locked: bool) -> StagePlan:
    """The GPU with the lowest cost (maximum_speed: the fastest of those within 2x that cost)."""
    options = []
    fits: dict[float, Fit] = {}  # GPUs with the same memory fit the same way
    for gpu in gpus_by_price():
        if gpu.memory_gb not in fits:
            fits[gpu.memory_gb] = fit_to_gpu(
                choice.model, choice.recipe, choice.method, hp, gpu, method_locked=locked
            )
        if fits[gpu.memory_gb].fits:
            options.append(_finish(req, choice, fits[gpu.memory_gb], gpu, 1))
    if not options:
        biggest = max(load_hardware().values(), key=lambda g: g.memory_gb)
        return _finish(req, choice, fits[biggest.memory_gb], biggest, 1)
    cheapest = min(options, key=lambda s: (s.cost, len(s.fit.adjustments), s.hours))
    if req.preset is Preset.MAXIMUM_SPEED:
        return min((s for s in options if s.cost <= 2 * cheapest.cost + 1), key=lambda s: s.hours)
    if req.preset is Preset.MAXIMUM_QUALITY:
        unchanged = [s for s in options if not s.fit.adjustments]
        return min(unchanged, key=lambda s: s.cost) if unchanged else cheapest
    return cheapest


def _finish(req: StageRequest, choice: Choice, fit: Fit, gpu: GpuType, count: int) -> StagePlan:
    hours = train_hours(choice.model, choice.recipe, fit, gpu, count, req.samples)
    if choice.pretrained_only:
        hours = 0.0
    provider, hourly = hourly_price(gpu.id, count)
    return StagePlan(
        req.name, req.role, req.task, choice, fit, gpu, count, hours, hourly, provider, req.depends_on
    )
