"""Text metrics and quality gates on known inputs (no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omnitune.evaluate.examples import load_examples
from omnitune.evaluate.gates import check_gates, parse_gate
from omnitune.evaluate.judge import parse_score
from omnitune.evaluate.text_metrics import bleu, chrf, exact_match, label_accuracy, rouge


def test_reference_metrics_reward_matching_text() -> None:
    refs = ["the cat sat on the mat", "hello world"]
    assert exact_match(["The cat sat on the mat.", "hello  world"], refs) == 1.0
    assert exact_match(["a dog", "hello world"], refs) == 0.5
    assert bleu(refs, refs) == pytest.approx(100.0)
    assert bleu(["the cat sat on a mat", "hello there"], refs) < 100.0
    assert chrf(refs, refs) == pytest.approx(100.0) and chrf(["xyz", "qqq"], refs) < 10
    scores = rouge(["the cat sat", "hello world"], refs)
    assert scores["rouge1"] > 0.7 and 0 < scores["rouge2"] <= 1
    assert label_accuracy(["positive, clearly", "negative"], ["positive", "positive"]) == 0.5
    with pytest.raises(ValueError, match="as many predictions"):
        bleu(["a"], [])


def test_gates_parse_and_decide() -> None:
    gate = parse_gate("perplexity must drop 10%")
    assert (gate.metric, gate.direction, gate.amount, gate.relative) == ("perplexity", "down", 10.0, True)
    assert parse_gate("bleu improves by 2").direction == "up"
    assert parse_gate("loss improves 5%").direction == "down"
    results = check_gates(
        ["perplexity must drop 10%", "exact_match >= 0.5", "bleu must rise 50%", "chrf > 1"],
        {"perplexity": 8.0, "exact_match": 0.6, "bleu": 20.0},
        {"perplexity": 10.0, "bleu": 15.0},
    )
    assert [r.passed for r in results] == [True, True, False, False]
    assert "not measured" in results[3].detail
    assert not check_gates(["perplexity must drop 10%"], {"perplexity": 1.0}, None)[0].passed
    with pytest.raises(ValueError, match="METRIC must drop"):
        parse_gate("make it good")


def test_examples_from_every_shape_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "eval.jsonl"
    records = [
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]},
        {"question": "2+2?", "answer": "4"},
        {"text": "great film", "label": "positive"},
        {"text": "plain text for perplexity"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    examples = load_examples(path)
    assert examples[0].reference == "hello" and examples[0].messages == [{"role": "user", "content": "hi"}]
    assert examples[1].reference == "4" and examples[2].label == "positive" and examples[3].text
    path.write_text('{"foo": 1}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"eval.jsonl:1: record has none"):
        load_examples(path)
    assert parse_score("good.\nSCORE: 7", "j") == pytest.approx(0.7)
    with pytest.raises(ValueError, match="no 'SCORE: N'"):
        parse_score("fine", "j")


def test_gates_come_from_the_plan_and_judge_specs_are_checked() -> None:
    from omnitune.evaluate.gates import gates_from_plan
    from omnitune.evaluate.judge import AnthropicJudge, OpenAICompatibleJudge, judge_from_spec
    from omnitune.plan.schema import Capabilities, Quality, Training, TrainingPlan

    plan = TrainingPlan(
        capabilities=Capabilities(quality=Quality.model_validate({"gates": ["perplexity must drop 10%"]})),
        training=Training(hyperparameters={"quality_gates": ["exact_match >= 0.5"]}),
    )
    assert gates_from_plan(plan) == ["perplexity must drop 10%", "exact_match >= 0.5"]
    assert gates_from_plan(TrainingPlan()) == []
    assert isinstance(judge_from_spec("openai:m@http://127.0.0.1:1/v1"), OpenAICompatibleJudge)
    assert isinstance(judge_from_spec("anthropic:claude-x"), AnthropicJudge)
    with pytest.raises(ValueError, match="use openai:MODEL@BASE_URL"):
        judge_from_spec("openai:no-url")
    with pytest.raises(ValueError, match="unreachable"):
        judge_from_spec("openai:m@http://127.0.0.1:1/v1").complete("s", "u")
