"""Quality filters for text: reasons a record is unlikely to teach anything useful."""

from __future__ import annotations

import re

_ALNUM = re.compile(r"[^\W_]", re.UNICODE)


def quality_issue(
    text: str, min_chars: int = 16, min_alnum: float = 0.5, max_repeated_lines: float = 0.5
) -> str | None:
    """Why ``text`` looks low-quality (too short, mostly symbols, repeated lines), or None."""
    stripped = text.strip()
    if len(stripped) < min_chars:
        return f"shorter than {min_chars} characters"
    letters = len(_ALNUM.findall(stripped))
    if letters / len(stripped) < min_alnum:
        return f"only {letters / len(stripped):.0%} letters or digits"
    lines = [line.strip() for line in stripped.splitlines() if line.strip()]
    if len(lines) >= 4:
        repeated = 1 - len(set(lines)) / len(lines)
        if repeated > max_repeated_lines:
            return f"{repeated:.0%} of its lines are repeats"
    return None
