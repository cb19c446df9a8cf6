"""Export a tiny trained LoRA as adapter, merged safetensors, GGUF (read back by transformers) and an Ollama
Modelfile; every export passes the equivalence check, and a mismatch or a tampered artefact fails loudly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from registry_helpers import register_directory, trained_lora
from typer.testing import CliRunner

pytestmark = pytest.mark.slow


@pytest.fixture
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_lora(tmp_path_factory.mktemp("trained"))


def test_every_format_exports_and_answers_like_the_trained_model(trained: Path, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    from omnitune.registry.export.exporter import export_model, read_export
    from omnitune.registry.versions import history

    register_directory(trained / "out", "opp")
    adapter = export_model("opp:v1", "adapter", tmp_path / "adapter")
    assert (tmp_path / "adapter" / "adapter_config.json").is_file() and not (
        tmp_path / "adapter" / "merged"
    ).exists()
    merged = export_model("opp:v1", "merged", tmp_path / "merged")
    assert "model.safetensors" in merged.files and "adapter_config.json" not in merged.files
    assert AutoModelForCausalLM.from_pretrained(tmp_path / "merged").config.model_type == "llama"
    gguf = export_model("opp:v1", "gguf", tmp_path / "gguf")
    for result in (adapter, merged, gguf):
        eq = result.equivalence
        assert eq.passed and eq.max_logit_diff <= eq.tolerance and eq.top1_agreement == 1.0, result.format
        assert eq.output_agreement == 1.0 and eq.tokenizer_agreement == 1.0
    assert gguf.files == ["model.gguf"] and read_export(tmp_path / "gguf")["sha256"] == gguf.sha256

    ollama = export_model("opp:v1", "ollama", tmp_path / "ollama", dtype="f16")
    modelfile = (tmp_path / "ollama" / "Modelfile").read_text()
    assert modelfile.startswith("FROM ./model.gguf\n")
    assert (
        'TEMPLATE """{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}'
        in modelfile
    )
    assert 'PARAMETER stop "<|im_end|>"' in modelfile
    assert ollama.equivalence.passed and ollama.equivalence.max_logit_diff > 0  # f16 rounds, within tolerance
    assert [e.details["format"] for e in reversed(history("opp")) if e.action == "export"] == [
        "adapter",
        "merged",
        "gguf",
        "ollama",
    ]


def test_mismatch_and_tampering_fail_loudly(trained: Path, tmp_path: Path) -> None:
    from omnitune.evaluate.language_model import LanguageModel
    from omnitune.registry.export.equivalence import ExportMismatchError, check_equivalence
    from omnitune.registry.export.exporter import export_model

    tuned = LanguageModel.load("t", str(trained / "out"))
    base = LanguageModel.load("b", str(trained / "out" / "base"))
    with pytest.raises(ExportMismatchError, match=r"max logit diff .* the export was not accepted"):
        check_equivalence(tuned.model, base.model, tuned.tokenizer)

    version = register_directory(trained / "out", "opp")
    (Path(version.artefact_path) / "adapter_config.json").write_text("{}")
    from omnitune.registry.versions import ChecksumMismatchError

    with pytest.raises(ChecksumMismatchError):
        export_model("opp:v1", "merged", tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_export_cli(trained: Path, tmp_path: Path) -> None:
    from omnitune.cli.main import app

    register_directory(trained / "out", "opp")
    result = CliRunner().invoke(
        app, ["models", "export", "opp", "--format", "merged", "--out", str(tmp_path / "m"), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["equivalence"]["passed"] is True
    bad = CliRunner().invoke(
        app, ["models", "export", "opp", "--format", "onnx", "--out", str(tmp_path / "x")]
    )
    assert bad.exit_code == 1 and "use one of adapter, merged, gguf, ollama" in bad.output
