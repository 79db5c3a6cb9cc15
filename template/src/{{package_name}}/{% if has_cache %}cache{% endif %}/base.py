"""The cache interface the service codes against; its backend lives next to it."""

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Protocol

from pydantic import BaseModel


class Cache(Protocol):
    """An async key-value cache with per-entry expiry.

    Values go in as str or bytes and always come back as bytes, as they do from a network cache:
    callers serialize explicitly, as JSON (e.g. `model_dump_json` / `model_validate_json`), and put
    `schema_version()` of the model in the key. A cache never fails its caller: one that cannot be
    reached misses on every read and drops writes.
    """

    async def get(self, key: str) -> bytes | None:
        """The value, or None when the key is missing or expired."""
        ...

    async def get_many(self, *keys: str) -> list[bytes | None]:
        """The values of `keys`, in their order (None for each missing one), in one round trip:
        what a request needs from the cache, read at once."""
        ...

    async def set(self, key: str, value: str | bytes, ttl_seconds: float | None = None) -> None:
        """Store a value for `ttl_seconds` (None: the cache's default TTL)."""
        ...

    async def get_or_load(
        self, key: str, load: Callable[[], Awaitable[bytes]], ttl_seconds: float | None = None
    ) -> bytes:
        """The value, or on a miss what `load()` returns, stored. Misses of a key that arrive
        while its load runs wait for that load instead of running their own."""
        ...

    async def delete(self, key: str) -> None:
        """Forget a key; deleting a missing key is not an error."""
        ...


def schema_version(model: type[BaseModel]) -> str:
    """A digest of the model's JSON schema, for the keys of its cached values: a release that
    changes the model's shape reads none of the values an earlier one wrote (a shared cache keeps
    them across deploys), and a rollback none of the new ones."""
    schema = json.dumps(model.model_json_schema(), sort_keys=True)
    return hashlib.sha256(schema.encode()).hexdigest()[:12]
