"""`/api/training/credentials`: write-only credential vault (set, list names, delete; never read back)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from omnitune.api.auth import CurrentUser
from omnitune.api.schemas import CredentialInfo, CredentialsResponse, CredentialValue
from omnitune.services import vault
from omnitune.services.vault import Credential

router = APIRouter(prefix="/api/training/credentials", tags=["credentials"])


@router.get("", response_model=CredentialsResponse)
def list_credentials(user: CurrentUser) -> CredentialsResponse:
    """Which credentials you have set (names and times only)."""
    infos = [CredentialInfo(name=name, updated_at=ts) for name, ts in vault.names(user.id)]
    return CredentialsResponse(credentials=infos, known=[c.value for c in Credential])


@router.put("/{name}", response_model=CredentialInfo)
def set_credential(name: Credential, body: CredentialValue, user: CurrentUser) -> CredentialInfo:
    """Store (or replace) a credential, encrypted; the answer never contains it."""
    return CredentialInfo(
        name=name.value, updated_at=vault.store(user.id, name, body.value.get_secret_value())
    )


@router.delete("/{name}", status_code=204, response_class=Response)
def delete_credential(name: Credential, user: CurrentUser) -> Response:
    """Forget a credential."""
    if not vault.remove(user.id, name):
        raise KeyError(f"credential {name.value} is not set")
    return Response(status_code=204)
