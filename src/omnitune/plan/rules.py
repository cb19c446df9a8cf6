"""Rules interpreter: phrase lexicons scored over the taxonomy (no torch, microseconds per rule)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from omnitune.catalog.entries import load_models
from omnitune.plan.lexicon import STRONG, Lexicon, Reference, load_lexicon
from omnitune.types import Method, Modality, Task, modality_of

_SIZE = re.compile(r"^[\s-]*(?:v?\d\.\d[\s-]*)?(\d+(?:\.\d+)?)\s*([bm])\b", re.I)
_SIZE_WORDS = ("turbo", "tiny", "base", "small", "medium", "large", "melody", "mini", "i2v", "coder")
_WORD = re.compile(r"[a-z0-9][a-z0-9'+.-]*")


@dataclass
class RuleResult:
    """What the rules found: scored tasks and modalities plus named things."""

    task_scores: dict[Task, float] = field(default_factory=dict)
    modality_scores: dict[Modality, float] = field(default_factory=dict)
    method: Method | None = None
    base_model: str | None = None
    references: list[Reference] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    content_words: list[str] = field(default_factory=list)

    @property
    def top_score(self) -> float:
        """Best task score (0 when no task phrase matched)."""
        return max(self.task_scores.values(), default=0.0)

    @property
    def confident(self) -> bool:
        """True when one strong phrase, a named method or a reference settles the task."""
        return self.top_score >= STRONG


def score_tasks(text: str, lex: Lexicon) -> dict[Task, float]:
    """Sum of pattern weights per task; each pattern counts once."""
    scores: dict[Task, float] = {}
    for entry in lex.tasks:
        total = sum(weight for pattern, weight in entry.patterns if pattern.search(text))
        if total:
            scores[entry.task] = total
    return scores


def find_method(text: str, lex: Lexicon) -> Method | None:
    """The first named method in lexicon priority order."""
    for method, patterns in lex.methods:
        if any(p.search(text) for p in patterns):
            return method
    return None


def find_base_model(text: str, lex: Lexicon) -> str | None:
    """The catalog id of a model the text names, sized by what follows the name."""
    catalog = load_models()
    low = text.lower()
    exact = [
        (len(name), ident)
        for ident, m in catalog.items()
        for name in (ident, m.hub_id or "")
        if name and re.search(rf"(?<![\w.-]){re.escape(name.lower())}(?![\w.-])", low)
    ]
    for alias in lex.models:
        m = alias.pattern.search(text)
        if m:  # the longer mention wins: 'phi-4 mini' (alias) over 'phi-4' (catalog id)
            if exact and max(exact)[0] >= m.end() - m.start():
                return max(exact)[1]
            return _sized(alias.ids, text[m.end() : m.end() + 24], catalog)
    return max(exact)[1] if exact else None


def _sized(ids: tuple[str, ...], tail: str, catalog: dict) -> str:
    if m := _SIZE.match(tail):
        size = float(m.group(1)) / (1000 if m.group(2).lower() == "m" else 1)
        return min(ids, key=lambda i: abs(catalog[i].params_b - size))
    words = set(re.findall(r"[a-z0-9.]+", tail.lower())[:4])
    for word in _SIZE_WORDS:
        if word in words:
            for ident in ids:
                if word in ident.split("-") or ident.endswith(word):
                    return ident
    return ids[0]


def find_references(text: str, lex: Lexicon) -> list[Reference]:
    """Products named in the text (suno, midjourney ...)."""
    return [ref for ref in lex.references if any(p.search(text) for p in ref.patterns)]


def find_claims(text: str, lex: Lexicon, refs: list[Reference]) -> list[str]:
    """References used as a quality bar ('Sora-level', 'as good as GPT-4')."""
    claims = []
    for ref in refs:
        names = "|".join(
            p.pattern.removeprefix("(?<![\\w-])(?:").removesuffix(")(?![\\w])") for p in ref.patterns
        )
        for template in lex.claims:
            if re.search(template.replace("{ref}", f"(?:{names})"), text, re.I):
                claims.append(ref.name)
                break
    return claims


def content_words(text: str, lex: Lexicon) -> list[str]:
    """Words that carry meaning beyond 'train a model to be better'."""
    return [w for w in _WORD.findall(text.lower()) if w.strip("'.-") not in lex.generic_words and len(w) > 1]


def interpret_rules(text: str) -> RuleResult:
    """Score every task and modality for ``text`` from the lexicons."""
    lex = load_lexicon()
    result = RuleResult(task_scores=score_tasks(text, lex), method=find_method(text, lex))
    result.base_model = find_base_model(text, lex)
    result.references = find_references(text, lex)
    result.claims = find_claims(text, lex, result.references)
    result.content_words = content_words(text, lex)
    _apply_hints(result, lex)
    result.modality_scores = _modality_scores(text, result, lex)
    return result


def _apply_hints(result: RuleResult, lex: Lexicon) -> None:
    """References and named methods vote for the tasks they stand for."""
    for ref in result.references:
        for rank, task in enumerate(ref.tasks):
            result.task_scores[task] = result.task_scores.get(task, 0.0) + STRONG - rank * 0.5
    if result.method and result.method in lex.method_tasks:
        task = lex.method_tasks[result.method]
        result.task_scores[task] = result.task_scores.get(task, 0.0) + STRONG


def _modality_scores(text: str, result: RuleResult, lex: Lexicon) -> dict[Modality, float]:
    # The best task of a modality decides, so many weak hints cannot outvote one strong phrase.
    scores: dict[Modality, float] = defaultdict(float)
    for task, score in result.task_scores.items():
        scores[modality_of(task)] = max(scores[modality_of(task)], score)
    for modality, patterns in lex.modalities.items():
        if cues := sum(0.5 for p in patterns if p.search(text)):
            scores[modality] += cues
    if result.base_model:
        scores[load_models()[result.base_model].modality] += STRONG
    _favour_cross_modal(result, scores)
    return dict(scores)


def _favour_cross_modal(result: RuleResult, scores: dict[Modality, float]) -> None:
    """Vision-language tasks take visual input: a visual object in the text tips ties their way."""
    if scores.get(Modality.IMAGE, 0.0) <= 0:
        return
    for task in (Task.VISION_LANGUAGE, Task.IMAGE_TEXT_ALIGNMENT):
        if result.task_scores.get(task, 0.0) >= STRONG:
            result.task_scores[task] += 1.0
            scores[Modality.MULTIMODAL] = max(scores[Modality.MULTIMODAL], result.task_scores[task])
