"""Choosing catalog models for a task: trainable first, supporting the method, sized to the preset."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from omnitune.catalog.entries import CatalogModel, load_models
from omnitune.catalog.recipes import recipe_for
from omnitune.plan.presets import preferred_methods, size_target
from omnitune.types import Method, Preset, RecipeKey, Task, modality_of


@dataclass
class Choice:
    """A model, how it is trained, and what else could serve."""

    model: CatalogModel
    method: Method
    recipe: RecipeKey
    alternatives: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pretrained_only: bool = False  # no trainable route: the model is wired in as-is


def candidates(task: Task) -> list[CatalogModel]:
    """Catalog models listing ``task`` (tiny from-config models only when named)."""
    return [m for m in load_models().values() if task in m.tasks and m.from_config is None]


# Specialist models (R1 distills think aloud at length; coder models drift to code) serve only
# their specialty well: for any other task a general instruct model of the same size wins.
SPECIALTIES = frozenset({Task.REASONING, Task.CODE_GENERATION})
SPECIALIST_PENALTY = 1.0


def tiny_counterpart(model: CatalogModel, task: Task) -> CatalogModel:
    """For a named tiny from-config model that does not list ``task``, the tiny entry of the same
    recipe that does (omnitune/tiny-wan -> omnitune/tiny-wan-i2v for image_to_video); else ``model``."""
    if model.from_config is None or task in model.tasks:
        return model
    tiny = [m for m in load_models().values() if m.from_config is not None and m.recipe is model.recipe]
    return next((m for m in tiny if task in m.tasks), model)


def _rank(model: CatalogModel, task: Task, target_b: float, memory_gb: float | None) -> float:
    """Lower is better: distance from the preset's size, task prominence, memory fit."""
    cost = abs(math.log(max(model.params_b, 1e-3) / target_b))
    cost += 0.15 * model.tasks.index(task)
    if model.tasks[0] in SPECIALTIES and task is not model.tasks[0]:
        cost += SPECIALIST_PENALTY
    if memory_gb is not None and model.min_vram_gb > memory_gb:
        cost += 10.0
    return cost if model.trainable else cost + 100.0


def pick_method(model: CatalogModel, task: Task | None, wanted: Method | None) -> Method | None:
    """The named method when the model supports it, else the task's preferred one."""
    options = [wanted] if wanted else preferred_methods(task) + list(model.methods)
    return next((m for m in options if m and recipe_for(model, m)), None)


def choose_model(
    task: Task,
    preset: Preset,
    *,
    method: Method | None = None,
    base_model: str | None = None,
    memory_gb: float | None = None,
    size_b: float | None = None,
) -> Choice:
    """The best catalog model for ``task``; a named base model always wins."""
    if base_model:
        given = load_models()[base_model]
        named = _named(tiny_counterpart(given, task), task, method)
        if named.model is not given:
            named.warnings.append(
                f"{given.id} is a tiny {given.tasks[0].value} model; using {named.model.id}, "
                f"its {task.value} counterpart"
            )
        others = [m for m in candidates(task) if m.id != base_model and m.trainable]
        others.sort(key=lambda m: _rank(m, task, named.model.params_b, None))
        named.alternatives += [(m.id, _reason(m, named.model)) for m in others[:3]]
        return named
    pool = candidates(task) or [m for m in load_models().values() if modality_of(task) is m.modality]
    if method:
        supported = [m for m in pool if recipe_for(m, method)]
        pool = supported or pool
    target = size_b or size_target(modality_of(task), preset)
    fit_memory = None if size_b else memory_gb  # a stated size wins; feasibility flags the memory
    ranked = sorted(pool, key=lambda m: _rank(m, task, target, fit_memory))
    best = ranked[0]
    if not best.trainable and best.nearest_trainable:
        choice = _named(load_models()[best.nearest_trainable], task, method)
        choice.alternatives.insert(
            0, (best.id, f"best fit for {task.value} but trainable only outside omnitune")
        )
        choice.warnings.append(f"{best.name} is not trainable here: {best.notes}")
        return choice
    choice = _named(best, task, method)
    choice.alternatives += [(m.id, _reason(m, best)) for m in ranked[1:4] if m.trainable]
    return choice


def _named(model: CatalogModel, task: Task, method: Method | None) -> Choice:
    chosen = pick_method(model, task, method)
    warnings = []
    if chosen is None:
        fallback = pick_method(model, task, None)
        if method is not None:
            warnings.append(f"{model.id} cannot be trained with {method.value}; using {fallback} instead")
        chosen = fallback or model.methods[0]
    recipe = recipe_for(model, chosen) or model.recipe
    choice = Choice(model, chosen, recipe, warnings=warnings, pretrained_only=not model.trainable)
    if not model.trainable:
        choice.warnings.append(
            f"{model.name} has no maintained training library; it is used pretrained. {model.notes}"
        )
    return choice


def _reason(model: CatalogModel, best: CatalogModel) -> str:
    size = "smaller and faster" if model.params_b < best.params_b else "larger, higher quality"
    return f"{size} ({model.params_b:g}B, {model.license}, needs >= {model.min_vram_gb:g} GB)"
