"""The plan's steps: install, download, preprocess, train per stage, wire, evaluate, deploy."""

from __future__ import annotations

from omnitune.plan.schema import Step
from omnitune.plan.stages import StagePlan
from omnitune.types import StepKind

_EXTRAS = {"transformers": "llm", "sentence-transformers": "llm", "diffusers": "image", "custom": "llm"}


def build_steps(stages: list[StagePlan], multi: bool) -> list[Step]:
    """Ordered steps with dependencies (by step number)."""
    steps: list[Step] = []

    def add(name: str, kind: StepKind, description: str, minutes: float, depends: list[int]) -> int:
        steps.append(
            Step(
                n=len(steps) + 1,
                name=name,
                kind=kind,
                description=description,
                estimated_minutes=round(minutes, 1),
                depends_on=depends,
            )
        )
        return len(steps)

    extras = sorted({_EXTRAS.get(s.choice.model.library, "llm") for s in stages} | _modal_extras(stages))
    install = add("install", StepKind.INSTALL, f"pip install 'omnitune[{','.join(extras)}]'", 3, [])
    train_steps: dict[str, int] = {}
    for s in stages:
        model = s.choice.model
        source = model.hub_id or "built from config (no download)"
        dl = add(
            f"download {model.id}", StepKind.DOWNLOAD, source, _download_minutes(model.params_b), [install]
        )
        if s.choice.pretrained_only:
            train_steps[s.name] = dl
            continue
        prep = add(
            f"prepare data for {s.name}",
            StepKind.PREPROCESS,
            "omnitune data inspect + normalise to the recipe's format",
            5,
            [install],
        )
        deps = [dl, prep] + [train_steps[d] for d in s.depends_on if d in train_steps]
        train_steps[s.name] = add(
            f"train {s.name}",
            StepKind.TRAIN,
            f"{s.method.value} of {model.id} with recipe {s.choice.recipe.value} on "
            f"{s.gpu_count}x {s.gpu.id}",
            s.hours * 60,
            deps,
        )
    last = list(train_steps.values())
    if multi:
        last = [
            add(
                "wire pipeline",
                StepKind.WIRE,
                "connect stage outputs to inputs and test end to end",
                10,
                last,
            )
        ]
    evaluate = add(
        "evaluate", StepKind.EVALUATE, "metrics on a held-out split and A/B against the base model", 10, last
    )
    add(
        "deploy",
        StepKind.DEPLOY,
        "register the version; export adapters/merged weights; serve",
        5,
        [evaluate],
    )
    return steps


def _modal_extras(stages: list[StagePlan]) -> set[str]:
    return {
        s.choice.model.modality.value for s in stages if s.choice.model.modality.value in ("audio", "video")
    }


def _download_minutes(params_b: float) -> float:
    return max(0.1, params_b * 2 / 0.1 / 60)  # bf16 bytes at ~100 MB/s
