"""In-process cache: bounded (least recently used entries go first) with per-entry expiry.

Every operation is O(1) and none awaits, so it is safe on one event loop without a lock. There is
no background sweeper: an expired entry is dropped when it is read or when the LRU bound evicts it,
and the bound holds either way. Each worker process has its own cache.
"""

import time
from collections import OrderedDict
from collections.abc import Callable


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

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)
