"""A crude language guess: the writing system first, then common stopwords for Latin-script text."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_SCRIPTS = {
    "ru": re.compile(r"[\u0400-\u04FF]"),
    "el": re.compile(r"[\u0370-\u03FF]"),
    "ar": re.compile(r"[\u0600-\u06FF]"),
    "he": re.compile(r"[\u0590-\u05FF]"),
    "hi": re.compile(r"[\u0900-\u097F]"),
    "ja": re.compile(r"[\u3040-\u30FF]"),
    "zh": re.compile(r"[\u4E00-\u9FFF]"),
    "ko": re.compile(r"[\uAC00-\uD7AF]"),
    "th": re.compile(r"[\u0E00-\u0E7F]"),
}
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_WORD = re.compile(r"[^\W\d_]+")
_STOPWORDS = {
    "en": "the and of to is in that it for you with on are this be was not have what",
    "de": "der die und das ist nicht ich sie zu den mit ein eine auch sich auf für",
    "fr": "le la les et est des une un du que pas pour dans qui sur avec je vous",
    "es": "el la los las y es de que en un una por para con no se del lo",
    "it": "il la e di che è non un una per con sono del della gli le",
    "pt": "o a os as e de que não um uma para com do da em é se",
    "nl": "de het een en van is dat niet ik je op te zijn met voor",
}
_STOP_SETS = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}


def guess_language(text: str) -> str:
    """ISO 639-1 code of the likeliest language of ``text``, or 'und' when unsure."""
    text = text[:2000]
    counts = {lang: len(rx.findall(text)) for lang, rx in _SCRIPTS.items()}
    latin = len(_LATIN.findall(text))
    script, top = max(counts.items(), key=lambda kv: kv[1])
    if top > latin:
        return "ja" if script == "zh" and counts["ja"] > 0 else script
    words = [w.lower() for w in _WORD.findall(text)[:400]]
    hits = {lang: sum(w in stops for w in words) for lang, stops in _STOP_SETS.items()}
    lang, best = max(hits.items(), key=lambda kv: kv[1])
    return lang if best >= 2 or (best == 1 and len(words) < 8) else "und"


def language_mix(texts: Sequence[str], sample: int = 300) -> dict[str, float]:
    """Share of each guessed language over (an even sample of) the texts, largest first."""
    if not texts:
        return {}
    step = max(1, len(texts) // sample)
    guesses = Counter(guess_language(t) for t in texts[::step][:sample])
    total = sum(guesses.values())
    return {lang: round(n / total, 3) for lang, n in guesses.most_common()}
