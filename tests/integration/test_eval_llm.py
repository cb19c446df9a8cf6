"""`omnitune eval` on a tiny trained LoRA: beats its base, gates decide, reports are stored; judges over HTTP;
side-by-side comparison with winners per metric."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from registry_helpers import json_server, opposites_data, questions_file, register_directory, trained_lora
from typer.testing import CliRunner

pytestmark = pytest.mark.slow


@pytest.fixture
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_lora(tmp_path_factory.mktemp("trained"))


def test_eval_against_base_passes_gate_and_is_stored(trained: Path, tmp_path: Path) -> None:
    from omnitune.services.evaluation import EvalRequest, evaluate
    from omnitune.store import registry

    version = register_directory(trained / "out", "opp")
    request = EvalRequest(
        model="opp:v1",
        data=opposites_data(trained),
        against="base",
        limit=12,
        gates=["perplexity must drop 10%", "exact_match >= 2"],
        max_new_tokens=4,
    )
    report, path = evaluate(request)
    m, b = report.metrics, report.baseline_metrics
    assert m["perplexity"] < 0.9 * b["perplexity"] and m["loss"] < b["loss"]
    assert m["exact_match"] >= b["exact_match"] and m["scored_tokens"] == b["scored_tokens"] > 0
    assert {"bleu", "rouge1", "rougeL", "latency_s"} <= set(m)
    assert [g.passed for g in report.gates] == [True, False] and report.passed is False
    assert path is not None and path.is_file() and path.with_suffix(".txt").is_file()
    assert "verdict: FAILED" in path.with_suffix(".txt").read_text()
    stored = registry.evaluations_of(version.id)
    assert (
        len(stored) == 1 and stored[0].passed is False and stored[0].metrics["perplexity"] == m["perplexity"]
    )


def test_eval_cli_json_and_gate_exit_code(trained: Path, tmp_path: Path) -> None:
    from omnitune.cli.main import app

    register_directory(trained / "out", "opp")
    data = questions_file(tmp_path / "q.jsonl")
    runner = CliRunner()
    ok = runner.invoke(
        app,
        [
            "eval",
            "opp",
            "--data",
            str(data),
            "--against",
            "base",
            "--json",
            "--gate",
            "perplexity must drop 10%",
            "--max-new-tokens",
            "4",
        ],
    )
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert report["passed"] is True and report["deltas"]["perplexity"] < 0 and report["examples"] == 6
    failed = runner.invoke(app, ["eval", "opp", "--data", str(data), "--gate", "perplexity must drop 10%"])
    assert failed.exit_code == 2 and "needs a baseline" in failed.output
    missing = runner.invoke(app, ["eval", "nope:v3", "--data", str(data)])
    assert missing.exit_code == 1 and "no model version" in missing.output


def _judge(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Scores 9 when the answer contains the reference, else 2 — in OpenAI or Anthropic shape."""
    text = body["messages"][-1]["content"]
    reference = text.split("Reference answer:\n")[1].split("\n")[0]
    answer = text.split("Answer:\n")[1]
    reply = f"Reasoning.\nSCORE: {9 if reference in answer else 2}"
    if path == "/v1/messages":
        return 200, {"content": [{"type": "text", "text": reply}]}
    return 200, {"choices": [{"message": {"role": "assistant", "content": reply}}]}


def test_judges_over_http_and_side_by_side_comparison(trained: Path, tmp_path: Path) -> None:
    from omnitune.evaluate.compare import Comparison, compare_models
    from omnitune.evaluate.examples import load_examples
    from omnitune.evaluate.judge import AnthropicJudge, judge_from_spec
    from omnitune.evaluate.language_model import LanguageModel
    from omnitune.evaluate.llm import EvalOptions

    examples = load_examples(questions_file(tmp_path / "q.jsonl"))
    tuned = LanguageModel.load("tuned", str(trained / "out"))
    base = LanguageModel.load("base", str(trained / "out" / "base"))
    with json_server(_judge) as (url, seen):
        options = EvalOptions(max_new_tokens=4, judge=judge_from_spec(f"openai:judge-1@{url}/v1"))
        comparison = compare_models(base, tuned, examples, options)
        assert seen[0]["path"] == "/v1/chat/completions" and seen[0]["body"]["model"] == "judge-1"
        anthropic = AnthropicJudge("claude-x", url, api_key="k")
        assert anthropic.complete("sys", "Reference answer:\nhot\n\nAnswer:\nhot").endswith("SCORE: 9")
        assert seen[-1]["headers"]["x-api-key"] == "k"
    assert comparison.winners["perplexity"] == "b" and comparison.deltas["perplexity"] < 0
    for row in comparison.rows:  # each output was judged by the server's rule
        assert row.judge_b == pytest.approx(0.9 if str(row.reference) in row.output_b else 0.2)
    assert comparison.metrics_b["judge_score"] == pytest.approx(
        sum(r.judge_b or 0 for r in comparison.rows) / 6
    )
    assert "latency_s" in comparison.winners and "judge_score" in comparison.winners
    row = comparison.rows[0]
    assert row.latency_a_s > 0 and row.latency_b_s > 0 and row.judge_b is not None
    saved = Comparison.read(comparison.write(tmp_path / "cmp.json"))
    assert saved.rows[0].output_b == row.output_b
