"""The feedback loop: compare two models side by side, rate the rows, turn the ratings into a preference
dataset, and a DPO run of the llm_preference recipe trains on it (its reward margin rises)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alignment_helpers import make_ctx
from registry_helpers import json_server, register_directory, trained_lora
from typer.testing import CliRunner

from omnitune.types import Method

pytestmark = pytest.mark.slow
WORDS = ["hot", "up", "big", "fast", "light", "open", "early", "full", "happy", "loud"]


@pytest.fixture
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_lora(tmp_path_factory.mktemp("trained"))


def test_ratings_become_a_preference_set_that_dpo_trains_on(trained: Path, tmp_path: Path) -> None:
    from omnitune.cli.main import app
    from omnitune.data.manifest import DatasetManifest
    from omnitune.evaluate.compare import Comparison
    from omnitune.recipes.registry import get_recipe
    from omnitune.services.comparison import compare
    from omnitune.types import DataFamily

    register_directory(trained / "out", "opp")
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("\n".join(f"opposite of {w}" for w in WORDS) + "\n")
    comparison = compare(str(trained / "out" / "base"), "opp:v1", prompts, max_new_tokens=6)
    path = comparison.write(tmp_path / "cmp.json")
    differing = [i for i, row in enumerate(comparison.rows) if row.output_a != row.output_b]
    assert len(differing) >= 6
    # the person prefers A on every differing row but the first, which they call a tie
    ratings = [{"row": i, "preferred": "a"} for i in differing[1:]] + [
        {"row": differing[0], "preferred": "tie"}
    ]
    (tmp_path / "ratings.jsonl").write_text("\n".join(json.dumps(r) for r in ratings))
    result = CliRunner().invoke(
        app,
        [
            "models",
            "rate",
            str(path),
            "--ratings",
            str(tmp_path / "ratings.jsonl"),
            "--out",
            str(tmp_path / "prefs"),
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = DatasetManifest.read(tmp_path / "prefs")
    assert (
        manifest.family == DataFamily.PREFERENCE
        and sum(s.records for s in manifest.splits.values()) == len(differing) - 1
    )
    first = json.loads((tmp_path / "prefs" / "train.jsonl").read_text().splitlines()[0])
    assert set(first) == {"prompt", "chosen", "rejected"} and first["prompt"][0]["role"] == "user"
    assert Comparison.read(path).rows[differing[0]].preferred == "tie"  # ratings kept with the comparison

    hp = {"batch_size": 2, "epochs": 3, "num_threads": 1, "seq_len": 48, "learning_rate": 5e-3, "beta": 0.1}
    ctx, _ = make_ctx(
        tmp_path,
        tmp_path / "prefs",
        recipe="llm_preference",
        method=Method.DPO,
        base_model=str(trained / "out" / "merged"),
        hyperparameters=hp,
    )
    trained_dpo = get_recipe("llm_preference").run(ctx)
    m = trained_dpo.metrics
    assert trained_dpo.status == "completed" and m["reward_margin_after"] > m["reward_margin_before"]
    assert m["preference_loss_after"] < m["preference_loss_before"]


def test_a_judge_can_rate_instead(trained: Path, tmp_path: Path) -> None:
    from omnitune.evaluate.compare import ComparedRow, Comparison
    from omnitune.evaluate.feedback import preference_records, rate_with_judge
    from omnitune.evaluate.judge import judge_from_spec

    rows = [
        ComparedRow(
            messages=[{"role": "user", "content": f"opposite of {w}"}],
            output_a=f"not {w}",
            output_b="cold" if w == "hot" else w,
            latency_a_s=0.1,
            latency_b_s=0.1,
        )
        for w in ("hot", "up")
    ]
    comparison = Comparison(model_a="a", model_b="b", rows=rows)

    def judge(_: str, body: dict) -> tuple[int, dict]:
        answer = body["messages"][-1]["content"].split("Answer:\n")[1]
        return 200, {"choices": [{"message": {"content": f"SCORE: {9 if answer == 'cold' else 3}"}}]}

    with json_server(judge) as (url, _):
        rated = rate_with_judge(comparison, judge_from_spec(f"openai:j@{url}/v1"))
    assert [r.preferred for r in rated.rows] == ["b", "tie"]
    records = preference_records(rated)
    assert len(records) == 1 and records[0]["chosen"][0]["content"] == "cold"
