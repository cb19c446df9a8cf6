"""The credential vault: Fernet-encrypted at rest, write-only to clients, decrypted only for jobs.

The key comes from OMNITUNE_VAULT_KEY, or from `<home>/vault.key`, created on first use with 0600
permissions (a key file anyone else can read is refused).
"""

from __future__ import annotations

import os
import stat
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from omnitune.settings import get_settings
from omnitune.store import secrets as store_secrets

KEY_ENV = "OMNITUNE_VAULT_KEY"


class Credential(StrEnum):
    """The credentials the vault holds, and the environment variable each becomes for a job."""

    HF_TOKEN = "hf_token"
    RUNPOD_API_KEY = "runpod_api_key"
    MODAL_TOKEN_ID = "modal_token_id"
    MODAL_TOKEN_SECRET = "modal_token_secret"
    OPENAI_API_KEY = "openai_api_key"
    ANTHROPIC_API_KEY = "anthropic_api_key"
    AWS_ACCESS_KEY_ID = "aws_access_key_id"
    AWS_SECRET_ACCESS_KEY = "aws_secret_access_key"
    GOOGLE_APPLICATION_CREDENTIALS_JSON = "google_application_credentials_json"
    AZURE_CLIENT_SECRET = "azure_client_secret"
    LAMBDA_API_KEY = "lambda_api_key"

    @property
    def env_var(self) -> str:
        """The variable name libraries read (e.g. HF_TOKEN, OPENAI_API_KEY)."""
        return self.value.upper()


class VaultKeyError(RuntimeError):
    """The vault key is missing, unreadable, too widely readable, or not the one that encrypted a value."""


def key_file() -> Path:
    """Where the key lives when OMNITUNE_VAULT_KEY is not set."""
    return get_settings().home / "vault.key"


def _fernet():  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet

    raw = os.environ.get(KEY_ENV)
    if raw:
        return _fernet_from(raw.encode(), KEY_ENV)
    path = key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise VaultKeyError(f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`")
    return _fernet_from(path.read_bytes().strip(), str(path))


def _fernet_from(key: bytes, where: str):  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet

    try:
        return Fernet(key)
    except ValueError as exc:
        raise VaultKeyError(f"{where}: not a Fernet key (32 url-safe base64 bytes); {exc}") from None


def store(user_id: str, name: Credential, value: str) -> datetime:
    """Encrypt and store a credential; returns when it was stored (the value is never returned)."""
    if not value.strip():
        raise ValueError("value: a credential cannot be empty")
    return store_secrets.put_secret(user_id, name.value, _fernet().encrypt(value.encode()).decode())


def names(user_id: str) -> list[tuple[str, datetime]]:
    """Which credentials a user has set (names and times only)."""
    return store_secrets.list_secret_names(user_id)


def remove(user_id: str, name: Credential) -> bool:
    """Delete a credential; True when it existed."""
    return store_secrets.delete_secret(user_id, name.value)


def reveal(user_id: str, name: Credential) -> str | None:
    """The plaintext, for the code that hands it to a job or a library; never for an API response."""
    from cryptography.fernet import InvalidToken

    ciphertext = store_secrets.get_ciphertext(user_id, name.value)
    if ciphertext is None:
        return None
    try:
        return str(_fernet().decrypt(ciphertext.encode()).decode())
    except InvalidToken:
        raise VaultKeyError(f"credential {name.value} was encrypted with another vault key") from None


def job_environment(user_id: str) -> dict[str, str]:
    """Every credential of a user as the environment variables the libraries read."""
    env = {}
    for name, _ in names(user_id):
        value = reveal(user_id, Credential(name))
        if value is not None:
            env[Credential(name).env_var] = value
    return env
