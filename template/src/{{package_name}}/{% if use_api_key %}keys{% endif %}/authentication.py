"""The X-API-Key check: a key's record, its HMAC compared in constant time, its state.

A malformed key, an unknown id and a wrong secret get the same 401, after the same work: an
unknown id is compared against a dummy hash, so neither the answer nor its timing tells which ids
exist. Only the holder of the right secret learns that the key was revoked or has expired.
"""

import hmac
import secrets
from datetime import UTC, datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from ..authz.principal import Principal, Scope
from ..core.errors import UnauthorizedError
from .format import parse_key, secret_hash

HEADER = "X-API-Key"
# Compared when no key has the id: one HMAC and one comparison, as for a key that exists.
_DUMMY_HASH = secrets.token_hex(32)


class ApiKeyError(UnauthorizedError):
    challenge = f'APIKey header="{HEADER}"'
    message = "Invalid API key"


class StoredKey(BaseModel):
    """What verifying a key needs of its record (also its cached form)."""

    model_config = ConfigDict(frozen=True)

    key_id: str
    secret_hash: str
    scopes: frozenset[Scope]
    expires_at: datetime | None
    revoked: bool


class KeyStore(Protocol):
    async def find(self, key_id: str) -> StoredKey | None:
        """The record of the key with this lookup id, or None."""
        ...

    async def touch(self, key_id: str) -> None:
        """Note that the key was just used."""
        ...


async def authenticate(store: KeyStore, pepper: str, key: str | None) -> Principal:
    """The principal of a valid key, or a 401 (ApiKeyError)."""
    if key is None:
        raise ApiKeyError("Missing API key: send it in the X-API-Key header")
    parsed = parse_key(key)
    if parsed is None:
        raise ApiKeyError()
    key_id, secret = parsed
    stored = await store.find(key_id)
    expected = stored.secret_hash if stored is not None else _DUMMY_HASH
    matches = hmac.compare_digest(secret_hash(pepper, key_id, secret), expected)
    if stored is None or not matches:
        raise ApiKeyError()
    if stored.revoked:
        raise ApiKeyError("API key has been revoked")
    if stored.expires_at is not None and stored.expires_at <= datetime.now(UTC):
        raise ApiKeyError("API key has expired")
    await store.touch(key_id)
    return Principal(subject=f"api-key:{key_id}", roles=frozenset(), scopes=stored.scopes)
