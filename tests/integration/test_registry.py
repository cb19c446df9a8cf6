"""Registry: aliases with rollback, tags and search, checksum verification, removal, audit log, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from registry_helpers import register_directory
from typer.testing import CliRunner


def _artefact(root: Path, content: str) -> Path:
    root.mkdir(parents=True)
    (root / "config.json").write_text(json.dumps({"model_type": "llama", "note": content}))
    (root / "weights.bin").write_bytes(content.encode() * 100)
    return root


def test_aliases_roll_back_tags_search_verify_and_audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omnitune.registry import versions
    from omnitune.registry.references import resolve_version

    monkeypatch.setenv("OMNITUNE_USER", "alice")
    v1 = register_directory(_artefact(tmp_path / "a", "one"), "support")
    v2 = register_directory(_artefact(tmp_path / "b", "two"), "support")
    versions.set_alias("support:v1", "production")
    versions.set_alias("support:v2", "production")
    versions.set_alias("support:v1", "staging")
    assert resolve_version("support@production").id == v2.id
    assert versions.aliases("support") == {
        "support@production": "support:v2",
        "support@staging": "support:v1",
    }
    assert versions.rollback_alias("support", "production").id == v1.id
    assert resolve_version("support@production").id == v1.id
    with pytest.raises(ValueError, match="no earlier version"):
        versions.rollback_alias("support", "production")

    versions.tag("support:v2", "team", "cx")
    versions.tag("support:v2", "approved")
    assert [v.id for v in versions.search(tags={"team": "cx"})] == [v2.id]
    assert [v.id for v in versions.search(tags={"approved": None}, method="lora")] == [v2.id]
    assert versions.search(tags={"team": "other"}) == [] and len(versions.search(text="tiny-llama")) == 2
    assert versions.details("support:v2")["tags"] == {"team": "cx", "approved": ""}

    assert versions.verify("support:v2").id == v2.id
    (Path(v2.artefact_path) / "weights.bin").write_bytes(b"tampered")
    with pytest.raises(versions.ChecksumMismatchError, match=r"support:v2: artefact .* changed"):
        versions.verify("support:v2")

    with pytest.raises(ValueError, match="support@production"):
        versions.remove("support:v1")
    versions.remove("support:v1", force=True)
    assert not Path(v1.artefact_path).exists() and [v.id for v in versions.search()] == [v2.id]

    log = versions.history("support")
    actions = [e.action for e in reversed(log)]
    assert actions == ["alias", "alias", "alias", "rollback", "tag", "tag", "remove"]
    assert {e.actor for e in log} == {"alice"} and log[0].details["aliases"] == [
        "support@production",
        "support@staging",
    ]


def test_registry_cli(tmp_path: Path) -> None:
    from omnitune.cli.main import app

    register_directory(_artefact(tmp_path / "a", "one"), "bot")
    register_directory(_artefact(tmp_path / "b", "two"), "bot")
    runner = CliRunner()
    for args in (["alias", "bot:v1", "production"], ["alias", "bot:v2", "production"],
                 ["alias", "bot", "production", "--rollback"], ["tag", "bot:v2", "stage=beta", "owner=ml"],
                 ["tag", "bot:v2", "owner", "--remove"], ["verify", "bot@production"]):  # fmt: skip
        result = runner.invoke(app, ["models", *args])
        assert result.exit_code == 0, (args, result.output)
    found = json.loads(runner.invoke(app, ["models", "search", "--tag", "stage=beta", "--json"]).stdout)
    assert [f"{f['name']}:v{f['version']}" for f in found] == ["bot:v2"]
    assert found[0]["tags"] == {"stage": "beta"}
    history = json.loads(runner.invoke(app, ["models", "history", "bot", "--json"]).stdout)
    assert [h["action"] for h in history][:3] == ["untag", "tag", "tag"]
    refused = runner.invoke(app, ["models", "rm", "bot:v1"])
    assert refused.exit_code == 1 and "bot@production" in refused.output
    assert runner.invoke(app, ["models", "rm", "bot:v2"]).exit_code == 0
    missing = runner.invoke(app, ["models", "alias", "bot:v9", "staging"])
    assert missing.exit_code == 1 and "no model version" in missing.output
