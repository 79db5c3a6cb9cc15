"""The cache interface the service codes against; backends live next to it (memory.py, …)."""

from collections.abc import Awaitable, Callable
from typing import Protocol


class Cache(Protocol):
    """An async key-value cache with per-entry expiry.

    Values go in as str or bytes and always come back as bytes, as they do from a network cache:
    callers serialize explicitly (e.g. `model_dump_json` / `model_validate_json`).
    """

    async def get(self, key: str) -> bytes | None:
        """The value, or None when the key is missing or expired."""
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
