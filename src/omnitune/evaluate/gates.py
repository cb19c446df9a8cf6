"""Quality gates: plain rules such as "perplexity must drop 10%" or "exact_match >= 0.6" decide pass/fail.

Forms: ``METRIC must drop|fall|rise|improve [by] N[%]`` (relative to ``--against``; % means relative,
a bare number an absolute change) and ``METRIC >= | <= | > | < N`` (absolute). The plan carries them in
``capabilities.quality.gates`` or ``training.hyperparameters.quality_gates``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel

from omnitune.evaluate.text_metrics import LOWER_IS_BETTER

_CHANGE = re.compile(
    r"^(?P<metric>[\w.-]+)\s+(?:must\s+|should\s+)?(?P<verb>drop|drops|fall|falls|decrease|decreases|"
    r"rise|rises|increase|increases|improve|improves)\s+(?:by\s+)?(?:at\s+least\s+)?"
    r"(?P<amount>\d+(?:\.\d+)?)\s*(?P<pct>%?)$",
    re.IGNORECASE,
)
_BOUND = re.compile(r"^(?P<metric>[\w.-]+)\s*(?P<op>>=|<=|>|<)\s*(?P<amount>-?\d+(?:\.\d+)?)$")
_DOWN = {"drop", "drops", "fall", "falls", "decrease", "decreases"}


class Gate(BaseModel):
    """One parsed quality gate."""

    text: str
    metric: str
    kind: Literal["change", "bound"]
    direction: Literal["down", "up"] | None = None
    op: str | None = None
    amount: float
    relative: bool = False


class GateResult(BaseModel):
    """A gate checked against the metrics."""

    gate: str
    passed: bool
    detail: str


def parse_gate(text: str) -> Gate:
    """Parse one gate, or raise naming the accepted forms."""
    clean = text.strip().rstrip(".")
    if match := _CHANGE.match(clean):
        verb = match["verb"].lower()
        direction: Literal["down", "up"] = "down" if verb in _DOWN else "up"
        if verb.startswith("improve"):
            direction = "down" if match["metric"] in LOWER_IS_BETTER else "up"
        return Gate(
            text=text,
            metric=match["metric"],
            kind="change",
            direction=direction,
            amount=float(match["amount"]),
            relative=bool(match["pct"]),
        )
    if match := _BOUND.match(clean):
        return Gate(
            text=text, metric=match["metric"], kind="bound", op=match["op"], amount=float(match["amount"])
        )
    raise ValueError(
        f"quality gate {text!r}: write 'METRIC must drop|rise N%' (vs --against) or 'METRIC >= N'"
    )


def gates_from_plan(plan: Any) -> list[str]:
    """The gate texts a TrainingPlan carries (quality.gates, hyperparameters.quality_gates)."""
    quality = plan.capabilities.quality
    found = list((quality.model_extra or {}).get("gates") or [])
    found += list(plan.training.hyperparameters.get("quality_gates") or [])
    return [str(g) for g in found]


def check_gates(
    texts: list[str], metrics: dict[str, float], baseline: dict[str, float] | None
) -> list[GateResult]:
    """Check every gate; a change gate without a baseline fails and says so."""
    return [_check(parse_gate(text), metrics, baseline) for text in texts]


def _check(gate: Gate, metrics: dict[str, float], baseline: dict[str, float] | None) -> GateResult:
    value = metrics.get(gate.metric)
    if value is None:
        return GateResult(gate=gate.text, passed=False, detail=f"metric {gate.metric!r} was not measured")
    if gate.kind == "bound":
        ok = {
            ">=": value >= gate.amount,
            "<=": value <= gate.amount,
            ">": value > gate.amount,
            "<": value < gate.amount,
        }[str(gate.op)]
        return GateResult(gate=gate.text, passed=ok, detail=f"{gate.metric} = {value:.4g}")
    before = (baseline or {}).get(gate.metric)
    if before is None:
        return GateResult(gate=gate.text, passed=False, detail="needs a baseline: evaluate with --against")
    change = (before - value) if gate.direction == "down" else (value - before)
    needed = abs(before) * gate.amount / 100 if gate.relative else gate.amount
    detail = f"{gate.metric} {before:.4g} -> {value:.4g} (needed a {gate.direction} move of {needed:.4g})"
    return GateResult(gate=gate.text, passed=change >= needed, detail=detail)
