"""The credential vault: Fernet at rest, 0600 key file (or env key), nothing readable in the database."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from omnitune.services import users, vault
from omnitune.services.vault import Credential, VaultKeyError

SECRET = "hf_" + "s3cr3t-value-that-must-never-be-stored-in-clear"


@pytest.fixture
def user_id() -> str:
    return users.add_user("alice").id


def test_round_trip_and_nothing_in_clear_on_disk(user_id: str, omnitune_home: Path) -> None:
    vault.store(user_id, Credential.HF_TOKEN, SECRET)
    assert vault.reveal(user_id, Credential.HF_TOKEN) == SECRET
    assert [name for name, _ in vault.names(user_id)] == ["hf_token"]
    assert vault.job_environment(user_id) == {"HF_TOKEN": SECRET}
    on_disk = b"".join(p.read_bytes() for p in omnitune_home.glob("omnitune.db*"))
    assert on_disk and SECRET.encode() not in on_disk
    assert stat.S_IMODE(vault.key_file().stat().st_mode) == 0o600


def test_other_users_and_deleted_credentials_are_not_revealed(user_id: str) -> None:
    bob = users.add_user("bob").id
    vault.store(user_id, Credential.OPENAI_API_KEY, SECRET)
    assert vault.reveal(bob, Credential.OPENAI_API_KEY) is None and vault.names(bob) == []
    assert vault.remove(user_id, Credential.OPENAI_API_KEY)
    assert vault.reveal(user_id, Credential.OPENAI_API_KEY) is None
    assert not vault.remove(user_id, Credential.OPENAI_API_KEY)


def test_a_key_file_others_can_read_is_refused(user_id: str) -> None:
    vault.store(user_id, Credential.HF_TOKEN, SECRET)
    vault.key_file().chmod(0o644)
    with pytest.raises(VaultKeyError, match="chmod 600"):
        vault.reveal(user_id, Credential.HF_TOKEN)


def test_key_from_the_environment_and_a_wrong_key_says_so(
    user_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv(vault.KEY_ENV, Fernet.generate_key().decode())
    vault.store(user_id, Credential.RUNPOD_API_KEY, SECRET)
    assert not vault.key_file().exists()
    assert vault.reveal(user_id, Credential.RUNPOD_API_KEY) == SECRET
    monkeypatch.setenv(vault.KEY_ENV, Fernet.generate_key().decode())
    with pytest.raises(VaultKeyError, match="another vault key"):
        vault.reveal(user_id, Credential.RUNPOD_API_KEY)
    monkeypatch.setenv(vault.KEY_ENV, "not-a-key")
    with pytest.raises(VaultKeyError, match="OMNITUNE_VAULT_KEY"):
        vault.store(user_id, Credential.HF_TOKEN, SECRET)


def test_empty_values_are_rejected(user_id: str) -> None:
    with pytest.raises(ValueError, match="value"):
        vault.store(user_id, Credential.HF_TOKEN, "  ")
