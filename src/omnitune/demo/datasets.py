"""Small datasets the demo generates itself, so the main job runs offline with honest results.

Both are built from templates with a fixed seed; `omnitune data prepare` splits off a
deterministic validation set, on which the before/after metrics are measured.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

# Facts a small support team answers every day: (topic, answer).
SUPPORT_FACTS: list[tuple[str, str]] = [
    ("opening hours", "We are open 9am to 5pm, Monday to Friday."),
    ("refund", "Refunds go back to your card within 5 working days."),
    ("shipping cost", "Shipping is free on orders over 30 euros."),
    ("delivery time", "Orders arrive in 2 to 3 working days."),
    ("password reset", "Click 'Forgot password' on the login page."),
    ("cancel order", "You can cancel an order until it ships."),
    ("phone number", "Call us on 0800 123 456."),
    ("warranty", "Every product has a 2 year warranty."),
]

_TEMPLATES = [
    "What about {t}?",
    "Tell me about {t}.",
    "Question on {t}",
    "{t}?",
    "Can you explain {t}?",
    "I need info on {t}.",
    "Could you help with {t}?",
    "Info about {t} please",
    "Hi! A quick question about {t}.",
    "What is your policy on {t}?",
    "Help with {t}",
    "Where do I find {t}?",
]

_POSITIVE = ["love", "great", "fantastic", "works perfectly", "very helpful", "excellent", "smooth"]
_NEGATIVE = ["hate", "terrible", "crashes constantly", "useless", "very slow", "awful", "broken"]
_SUBJECTS = ["this app", "the new update", "the checkout", "the interface", "the sync feature"]
_FRAMES = ["I {w} {s}.", "{s} is {w}.", "Honestly, {s}: {w}!", "After a week, {s} feels {w}."]


def write_support_chat(path: Path) -> Path:
    """A chat JSONL (OpenAI messages format) of support questions and their answers."""
    rows = []
    for topic, answer in SUPPORT_FACTS:
        for template in _TEMPLATES:
            question = template.format(t=topic)
            rows.append({"messages": [{"role": "user", "content": question},
                                      {"role": "assistant", "content": answer}]})
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return path


def write_review_sentiment(path: Path, per_class: int = 60, seed: int = 0) -> Path:
    """A CSV of app-store reviews labelled positive/negative (`text`,`label`)."""
    rng = random.Random(seed)
    rows = []
    for label, words in (("positive", _POSITIVE), ("negative", _NEGATIVE)):
        for _ in range(per_class):
            frame = rng.choice(_FRAMES)
            rows.append((frame.format(w=rng.choice(words), s=rng.choice(_SUBJECTS)), label))
    rng.shuffle(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path
