"""The plan's words: intent, quality targets, questions and other approaches."""

from __future__ import annotations

import re
from typing import Any

from omnitune.plan.interpreter import Interpretation
from omnitune.plan.schema import DataSpec, Feasibility, Intent, Quality, TrainingPlan
from omnitune.types import Modality, Task

_STYLE = re.compile(
    r"\b(in the style of [\w' ]+|[\w-]+(?:-| )(?:style|look|aesthetic)|pixel-art|film-noir|watercolou?r|"
    r"anime|cinematic|photorealistic|minimalist|orchestral|lo-fi)\b",
    re.I,
)
_SUBJECT = re.compile(r"\b(?:my|our) (?:company's |own )?([a-z]+)\b", re.I)
_OUTPUTS = {
    Modality.LLM: ["text"],
    Modality.IMAGE: ["png"],
    Modality.VIDEO: ["mp4"],
    Modality.AUDIO: ["wav"],
    Modality.MULTIMODAL: ["text", "mp4"],
}
VAGUE_QUESTIONS = [
    "What should the model produce: text, images, video, audio, or a mix?",
    "What is the model for? Give one example input and the output you expect.",
    "Which data do you have (kind, rough amount, where it lives)?",
    "Any limits: GPU, budget, deadline, license?",
]


def intent(it: Interpretation) -> Intent:
    """Structured restatement of the request."""
    goal = it.tasks[0].value.replace("_", " ") if it.tasks else "unclear"
    return Intent(
        summary=f"{goal} ({it.modality.value})" if it.modality else "unclear request: " + it.text[:80],
        primary_goal=goal,
        secondary_goals=[t.value.replace("_", " ") for t in it.tasks[1:]],
        constraints=it.explicit.constraints,
        references=it.references,
    )


def vague_plan(plan: TrainingPlan, it: Interpretation) -> TrainingPlan:
    """A plan that asks instead of guessing."""
    plan.capabilities.modality = None
    plan.questions = list(VAGUE_QUESTIONS)
    plan.feasibility = Feasibility(
        ok=False,
        problems=[
            "the request does not say what the model should do or which kind of data it handles; "
            "answer the questions and plan again"
        ],
    )
    return plan


def quality(it: Interpretation) -> Quality:
    """Quality targets stated or implied by a reference."""
    q = it.explicit
    values: dict[str, Any] = {
        "resolution": q.resolution,
        "duration_s": q.duration_s,
        "sample_rate": q.sample_rate,
        "bit_depth": q.bit_depth,
        "fps": q.fps,
        "context_length": q.context_length,
    }
    for key, value in it.reference_quality.items():
        values[key] = values.get(key) or value
    return Quality(**values)


def quality_overrides(it: Interpretation) -> dict[str, Any]:
    """Hyperparameters the request pins (context length, resolution, sample rate)."""
    q = quality(it)
    out: dict[str, Any] = {}
    if q.context_length:
        out["seq_len"] = q.context_length
    if q.resolution and it.modality is Modality.IMAGE:
        w, h = (int(v) for v in q.resolution.split("x"))
        out["resolution"] = min(max(w, h), 2048)
    if q.sample_rate and it.modality is Modality.AUDIO:
        out["sample_rate"] = q.sample_rate
    if q.fps and it.modality is Modality.VIDEO:
        out["fps"] = q.fps
    if Task.SUBJECT_DRIVEN in it.tasks and (m := _SUBJECT.search(it.text)):
        noun = m.group(1).lower()
        out.update(class_noun=noun, instance_prompt=f"a photo of sks {noun}")
        out["class_prompt"] = f"a photo of {noun}"
    return out


def sub_capabilities(it: Interpretation) -> list[str]:
    """Secondary skills worth keeping in mind (reference-implied tasks not already listed)."""
    return [t.value for t in it.reference_tasks if t not in it.tasks]


def styles(it: Interpretation) -> list[str]:
    """Style words from the request."""
    return list(dict.fromkeys(m.group(0).lower() for m in _STYLE.finditer(it.text)))


def output_formats(modality: Modality | None) -> list[str]:
    """Default output formats per modality."""
    return list(_OUTPUTS.get(modality, [])) if modality else []


def follow_up_questions(it: Interpretation, data: DataSpec) -> list[str]:
    """Questions whose answers would change the plan."""
    questions = []
    if data.path is None and data.recommended_samples:
        questions.append(
            f"Where is your data? This needs {data.kind} examples "
            f"({data.min_samples}+, ideally {data.recommended_samples}+)."
        )
    if Task.SUBJECT_DRIVEN in it.tasks:
        questions.append(
            "What class is the subject (dog, person, product)? It names the prior-preservation prompt."
        )
    if it.explicit.gpu is None:
        questions.append("Which GPU can you use? The plan picked the cheapest that fits.")
    return questions


def other_approaches(it: Interpretation, stages: list[Any]) -> list[str]:
    """Other ways to reach the goal (always concrete)."""
    out = []
    for s in stages:
        if s.choice.alternatives:
            model_id, reason = s.choice.alternatives[0]
            out.append(f"{s.name}: {model_id} instead of {s.choice.model.id} ({reason})")
    if it.modality is Modality.LLM and Task.KNOWLEDGE_INJECTION in it.tasks:
        out.append("retrieval-augmented generation over your documents, with or without fine-tuning")
    return out
