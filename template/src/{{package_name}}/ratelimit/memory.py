"""Rate limits counted in this process's memory (limiter.py has the algorithm).

Each worker process counts on its own: with WORKERS=4, or four replicas, a client gets up to four
times each quota, and a restart forgets every count.
"""

import time
from collections import OrderedDict
from collections.abc import Callable

from .limiter import Decision, decision, gcra_steps
from .rates import Rate

# Keys tracked at once; beyond them the least recently seen are forgotten (their quota starts
# afresh), so that a flood of addresses cannot grow the process without bound.
MAX_KEYS = 100_000


class MemoryRateLimitStore:
    def __init__(
        self,
        *,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], int] = lambda: time.monotonic_ns() // 1000,
    ) -> None:
        self.max_keys = max_keys
        self._clock = clock  # microseconds
        # key -> theoretical arrival time of its next request, least recently seen first.
        self._arrivals: OrderedDict[str, int] = OrderedDict()

    async def hit(self, key: str, rate: Rate) -> Decision:
        now = self._clock()
        interval, tolerance = gcra_steps(rate)
        arrival = max(self._arrivals.get(key, now), now)
        if arrival - now > tolerance:
            return decision(
                rate, allowed=False, ahead=arrival - now, retry_after=arrival - now - tolerance
            )
        self._arrivals[key] = arrival + interval
        self._arrivals.move_to_end(key)
        if len(self._arrivals) > self.max_keys:
            self._arrivals.popitem(last=False)
        return decision(rate, allowed=True, ahead=arrival + interval - now, retry_after=0)
