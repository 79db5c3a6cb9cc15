"""In-process cache: bounded (least recently used entries go first) with per-entry expiry.

Reads, writes and deletes are O(1) and never await, so they are safe on one event loop without a
lock; `get_or_load` runs one load per key at a time (single_flight.py). There is no background
sweeper: an expired entry is dropped when it is read or when the LRU bound evicts it, and the
bound holds either way. Each worker process has its own cache.
"""

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from .single_flight import SingleFlight


class MemoryCache:
    def __init__(
        self,
        *,
        max_entries: int,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        # key -> (expires_at, value), least recently used first.
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._loads = SingleFlight()

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: str | bytes, ttl_seconds: float | None = None) -> None:
        ttl = self.ttl_seconds if ttl_seconds is None else ttl_seconds
        data = value.encode() if isinstance(value, str) else value
        self._entries[key] = (self._clock() + ttl, data)
        self._entries.move_to_end(key)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def get_or_load(
        self, key: str, load: Callable[[], Awaitable[bytes]], ttl_seconds: float | None = None
    ) -> bytes:
        value = await self.get(key)
        if value is not None:
            return value

        async def load_and_store() -> bytes:
            loaded = await load()
            await self.set(key, loaded, ttl_seconds)
            return loaded

        return await self._loads.run(key, load_and_store)

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)
