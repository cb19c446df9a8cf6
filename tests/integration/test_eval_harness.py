"""`omnitune eval --lm-eval`: a local multiple-choice task YAML over local JSONL, run by lm-eval-harness on a
tiny Llama fine-tuned to name opposites and on its untrained base; accuracy equals the argmax of the
model's own log-likelihoods, rises with training, is gated and stored; unknown and Hub-only tasks fail
clearly offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from llm_sft_helpers import BASE, OPPOSITES, make_context, run_recipe
from registry_helpers import register_directory
from typer.testing import CliRunner

pytest.importorskip(
    "lm_eval", reason="lm-eval-harness is the `harness` extra: pip install 'omnitune[harness]'"
)
pytestmark = pytest.mark.slow

TASK = "tiny_opposites"
_TRAINED: dict[str, Path] = {}


def fine_tuned(root: Path) -> Path:
    """A full fine-tune of the tiny Llama, 150 steps on the opposites chat data (cached per process)."""
    if "full" not in _TRAINED:
        import torch

        torch.set_num_threads(1)
        hp = {"batch_size": 8, "num_threads": 1, "save_steps": 1000, "learning_rate": 3e-3, "max_steps": 150}
        ctx, _ = make_context(root, "full_finetune", hp)
        assert run_recipe(ctx).status == "completed"
        _TRAINED["full"] = root / "out"
    return _TRAINED["full"]


@pytest.fixture
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fine_tuned(tmp_path_factory.mktemp("harness"))


def write_task(directory: Path, model_dir: Path) -> list[dict[str, Any]]:
    """A multiple-choice task YAML (absolute data_files) and its JSONL: each prompt offers all 10 answers."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    answers = sorted(OPPOSITES.values())
    rows = []
    for word, answer in sorted(OPPOSITES.items()):
        chat = [{"role": "user", "content": f"opposite of {word}"}]
        prompt = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        rows.append({"prompt": prompt, "choices": answers, "label": answers.index(answer)})
    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "opposites.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    (directory / "tiny_opposites.yaml").write_text(
        f"task: {TASK}\ndataset_path: json\ndataset_kwargs:\n  data_files:\n    test: {data}\n"
        "test_split: test\noutput_type: multiple_choice\n"
        'doc_to_text: "{{prompt}}"\ndoc_to_choice: "{{choices}}"\ndoc_to_target: label\n'
        'target_delimiter: ""\nmetric_list:\n  - metric: acc\n  - metric: acc_norm\n',
        encoding="utf-8",
    )
    return rows


def argmax_accuracy(path: str, rows: list[dict[str, Any]]) -> float:
    """Accuracy computed here, without lm-eval: the choice with the highest summed log-probability wins."""
    import torch

    from omnitune.evaluate.language_model import LanguageModel

    lm = LanguageModel.load(path, path)
    correct = 0
    for row in rows:
        context = lm.tokenizer(row["prompt"], add_special_tokens=False)["input_ids"]
        scores = []
        for choice in row["choices"]:
            ids = lm.tokenizer(row["prompt"] + choice, add_special_tokens=False)["input_ids"]
            with torch.no_grad():
                logprobs = lm.model(torch.tensor([ids])).logits[0].log_softmax(-1)
            scores.append(sum(logprobs[i - 1, ids[i]].item() for i in range(len(context), len(ids))))
        correct += max(range(len(scores)), key=scores.__getitem__) == row["label"]
    return correct / len(rows)


def test_lm_eval_task_against_base_through_the_cli(trained: Path, tmp_path: Path) -> None:
    from omnitune.cli.main import app
    from omnitune.store import registry

    version = register_directory(trained, "opp")
    rows = write_task(tmp_path / "tasks", trained)
    common = ["eval", "opp:v1", "--lm-eval", TASK, "--lm-eval-include", str(tmp_path / "tasks")]
    runner = CliRunner()
    ok = runner.invoke(
        app, [*common, "--against", "base", "--json", "--gate", f"{TASK}.acc must rise 0.5",
              "--gate", f"{TASK}.acc >= 0.8"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout[ok.stdout.index("{") :])
    acc, base_acc = report["metrics"][f"{TASK}.acc"], report["baseline_metrics"][f"{TASK}.acc"]
    assert acc == argmax_accuracy(str(trained), rows)
    assert base_acc == argmax_accuracy(BASE, rows)
    assert acc >= 0.8 > 0.3 >= base_acc, (acc, base_acc)
    assert f"{TASK}.acc_norm" in report["metrics"] and report["examples"] == len(rows)
    assert report["passed"] is True and [g["passed"] for g in report["gates"]] == [True, True]
    assert report["extractors"][TASK].startswith("lm-eval 0.4") and report["against"] == BASE
    stored = registry.evaluations_of(version.id)
    assert len(stored) == 1 and stored[0].metrics[f"{TASK}.acc"] == acc

    failed = runner.invoke(app, [*common, "--gate", f"{TASK}.acc >= 1.01"])
    assert failed.exit_code == 2, failed.output
    assert "FAIL" in failed.output and f"{TASK}.acc" in failed.output


def test_lm_eval_unknown_and_hub_only_tasks_fail_clearly_offline(
    trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omnitune.cli.main import app
    from omnitune.settings import get_settings

    monkeypatch.setenv("OMNITUNE_OFFLINE", "true")
    get_settings.cache_clear()
    register_directory(trained, "opp")
    write_task(tmp_path / "tasks", trained)
    runner = CliRunner()
    unknown = runner.invoke(
        app, ["eval", "opp", "--lm-eval", "no_such_task", "--lm-eval-include", str(tmp_path / "tasks")]
    )
    assert unknown.exit_code == 1
    assert "unknown task(s) no_such_task" in unknown.output and "--lm-eval-include" in unknown.output
    hub = runner.invoke(app, ["eval", "opp", "--lm-eval", "arc_easy", "--limit", "2"])
    assert hub.exit_code == 1
    assert "lm-eval task 'arc_easy'" in hub.output and "allenai/ai2_arc" in hub.output
    assert "dataset_path: json" in hub.output
