"""Every format detector and converter, on small records written by the tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from omnitune.data import inspect
from omnitune.data.converters import CONVERTERS
from omnitune.data.formats import detect_format
from omnitune.data.messages import RecordError
from omnitune.types import DataFamily

U, A = "user", "assistant"
TOOL_CALL = {"type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}
EXAMPLES = {
    "openai": {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": U, "content": "Weather in Oslo?"},
            {"role": A, "content": None, "tool_calls": [TOOL_CALL]},
            {"role": "tool", "content": "12C, rain", "tool_call_id": "c1"},
            {"role": A, "content": "12C and rain."},
        ]
    },
    "sharegpt": {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]},
    "alpaca": {"instruction": "Translate", "input": "bonjour", "output": "hello"},
    "prompt_completion": {"prompt": "2+2=", "completion": "4"},
    "preference": {"prompt": "Say hi", "chosen": "Hi!", "rejected": "Go away."},
    "kto": {"prompt": "Say hi", "completion": "Hi!", "label": True},
    "classification": {"text": "great film", "label": "positive"},
    "text": {"text": "Once upon a time there was a model."},
}
EXPECTED = {
    "openai": [
        *EXAMPLES["openai"]["messages"][:2],
        {"role": A, "content": "", "tool_calls": [TOOL_CALL]},
        *EXAMPLES["openai"]["messages"][3:],
    ],
    "sharegpt": [{"role": U, "content": "Hi"}, {"role": A, "content": "Hello!"}],
    "alpaca": [{"role": U, "content": "Translate\n\nbonjour"}, {"role": A, "content": "hello"}],
    "prompt_completion": [{"role": U, "content": "2+2="}, {"role": A, "content": "4"}],
}


@pytest.mark.parametrize("fmt", list(EXAMPLES))
def test_each_format_is_detected_with_evidence(fmt: str) -> None:
    detection = detect_format([EXAMPLES[fmt]] * 3)
    assert detection.format == fmt
    assert detection.confidence == 1.0
    assert detection.family == CONVERTERS[fmt][0]
    assert detection.evidence and "3/3" in detection.evidence[0]


@pytest.mark.parametrize("fmt", ["openai", "sharegpt", "alpaca", "prompt_completion"])
def test_chat_converters_produce_messages(fmt: str) -> None:
    record = CONVERTERS[fmt][1](EXAMPLES[fmt])
    assert record == {"messages": EXPECTED[fmt]}


def test_preference_kto_classification_text_converters() -> None:
    pref = CONVERTERS["preference"][1](EXAMPLES["preference"])
    assert pref == {
        "prompt": [{"role": U, "content": "Say hi"}],
        "chosen": [{"role": A, "content": "Hi!"}],
        "rejected": [{"role": A, "content": "Go away."}],
    }
    kto = CONVERTERS["kto"][1]({"prompt": "Say hi", "completion": "Hi!", "label": "false"})
    assert kto["completion"] == [{"role": A, "content": "Hi!"}] and kto["label"] is False
    assert CONVERTERS["classification"][1]({"text": "meh", "label": 3}) == {"text": "meh", "label": "3"}
    assert CONVERTERS["text"][1]({"content": "abc"}) == {"text": "abc"}


def test_preference_as_message_lists_with_implicit_prompt() -> None:
    ask = {"role": U, "content": "Capital of France?"}
    record = {
        "chosen": [ask, {"role": A, "content": "Paris"}],
        "rejected": [ask, {"role": A, "content": "Rome"}],
    }
    assert (
        detect_format([record]).evidence[1]
        == "chosen/rejected given as message lists, implicit prompt (shared prefix)"
    )
    out = CONVERTERS["preference"][1](record)
    assert out == {"prompt": [ask], "chosen": [{"role": A, "content": "Paris"}],
                   "rejected": [{"role": A, "content": "Rome"}]}  # fmt: skip


def test_sharegpt_tool_turns_and_boolean_class_labels() -> None:
    turns = [{"from": "human", "value": "Weather?"}, {"from": "function_call", "value": '{"name": "w"}'},
             {"from": "observation", "value": "sunny"}, {"from": "gpt", "value": "Sunny."}]  # fmt: skip
    msgs = CONVERTERS["sharegpt"][1]({"conversations": turns, "system": "Be brief."})["messages"]
    assert [m["role"] for m in msgs] == ["system", U, A, "tool", A]
    assert msgs[2]["tool_calls"] == [{"type": "function", "function": {"name": "w"}}]
    assert CONVERTERS["classification"][1]({"text": "spam!", "label": True})["label"] == "true"


def test_alpaca_with_system_and_history() -> None:
    record = {"instruction": "and 3+3?", "output": "6", "system": "math tutor", "history": [["2+2?", "4"]]}
    roles = [m["role"] for m in CONVERTERS["alpaca"][1](record)["messages"]]
    assert roles == ["system", U, A, U, A]


@pytest.mark.parametrize(
    ("fmt", "record", "field", "words"),
    [
        ("openai", {"messages": [{"role": U, "content": "hi"}, {"role": "bot", "content": "x"}]},
         "messages[1].role", "unknown role"),
        ("openai", {"messages": [{"role": U, "content": 5}, {"role": A, "content": "x"}]},
         "messages[0].content", "expected a string"),
        ("openai", {"messages": [{"role": U, "content": "a"}, {"role": U, "content": "b"}]},
         "messages[1].role", "out of order"),
        ("openai", {"messages": [{"role": U, "content": "a"}, {"role": A, "content": "b"},
                                 {"role": "system", "content": "late"}]}, "messages[2].role", "out of order"),
        ("openai", {"messages": [{"role": U, "content": "a"}, {"role": "tool", "content": "b"}]},
         "messages[1].role", "out of order"),
        ("openai", {"messages": [{"role": U, "content": "only a question"}]}, "messages", "no assistant"),
        ("openai", {"messages": [{"role": U, "content": "  "}, {"role": A, "content": "b"}]},
         "messages[0].content", "empty"),
        ("openai", {"messages": "hi"}, "messages", "expected a list"),
        ("sharegpt", {"conversations": [{"from": "alien", "value": "x"}]}, "conversations[0].from",
         "unknown speaker"),
        ("alpaca", {"instruction": "", "output": "x"}, "instruction", "missing or empty"),
        ("alpaca", {"instruction": "x", "output": 3}, "output", "expected a string"),
        ("alpaca", {"instruction": "x"}, "output", "missing"),
        ("prompt_completion", {"prompt": "x"}, "completion", "missing"),
        ("prompt_completion", {"prompt": "x", "completion": ""}, "completion", "empty"),
        ("preference", {"prompt": "x", "chosen": "same", "rejected": "same"}, "rejected", "identical"),
        ("preference", {"chosen": "a", "rejected": "b"}, "prompt", "missing"),
        ("kto", {"prompt": "x", "completion": "y", "label": "maybe"}, "label", "not a boolean"),
        ("classification", {"text": "x", "label": ""}, "label", "missing"),
        ("text", {"text": None}, "text", "missing"),
    ],
)  # fmt: skip
def test_converters_name_the_bad_field(fmt: str, record: dict, field: str, words: str) -> None:
    with pytest.raises(RecordError) as err:
        CONVERTERS[fmt][1](record)
    assert err.value.field == field
    assert words in err.value.message


def test_unknown_columns_are_reported_with_a_mapping_hint_and_map_fixes_them(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text("".join(json.dumps({"question": f"q{i}", "answer": f"a{i}"}) + "\n" for i in range(4)))
    report = inspect(path)
    assert report.format is None and not report.usable
    assert "--map" in report.problems[0].hint and "question" in report.problems[0].hint
    mapped = inspect(path, column_map={"question": "prompt", "answer": "completion"})
    assert mapped.format == "prompt_completion" and mapped.family == DataFamily.CHAT and mapped.usable
    assert mapped.preview[0] == {"messages": [{"role": U, "content": "q0"}, {"role": A, "content": "a0"}]}


def test_tables_and_corpora(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text('instruction,input,output\n"Say, hi",,hello\nAdd,1 1,2\n')
    (tmp_path / "b.tsv").write_text("text\tlabel\ngood\tpos\nbad\tneg\n")
    (tmp_path / "c.txt").write_text("First paragraph\nstill first.\n\nSecond one.\n")
    (tmp_path / "d.md").write_text("# Title\n\nBody text.\n")
    pref = '[{"role": "user", "content": "q"}, {"role": "assistant", "content": "%s"}]'
    with (tmp_path / "e.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["chosen", "rejected"], [pref % "yes", pref % "no"]])
    assert inspect(tmp_path / "a.csv").preview[0]["messages"][0]["content"] == "Say, hi"
    assert inspect(tmp_path / "b.tsv").format == "classification"
    corpus = inspect(tmp_path / "c.txt")
    assert corpus.format == "text" and [r["text"] for r in corpus.preview] == [
        "First paragraph\nstill first.",
        "Second one.",
    ]
    assert inspect(tmp_path / "d.md").preview == [{"text": "# Title\n\nBody text."}]
    pairs = inspect(tmp_path / "e.csv")
    assert pairs.format == "preference" and pairs.preview[0]["chosen"] == [{"role": A, "content": "yes"}]


def test_parquet_and_json_array(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.Table.from_pylist([EXAMPLES["kto"], {**EXAMPLES["kto"], "label": False}]), tmp_path / "k.parquet"
    )
    report = inspect(tmp_path / "k.parquet")
    assert report.format == "kto" and report.family == DataFamily.UNPAIRED_PREFERENCE and report.records == 2
    (tmp_path / "s.json").write_text(json.dumps({"data": [EXAMPLES["sharegpt"]] * 2}))
    assert inspect(tmp_path / "s.json").format == "sharegpt"


def test_records_of_another_layout_in_a_file_are_named(tmp_path: Path) -> None:
    rows = [EXAMPLES["sharegpt"], EXAMPLES["sharegpt"], EXAMPLES["alpaca"], EXAMPLES["preference"], {"x": 1}]
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = inspect(path)
    assert report.format == "sharegpt" and report.stats["valid_records"] == 3  # alpaca fits the chat family
    by_line = {p.line: p for p in report.errors}
    assert sorted(by_line) == [4, 5]
    assert "looks like preference data" in by_line[4].message
    assert by_line[5].field == "conversations" and "list of turns" in by_line[5].message
