"""One load per key at a time: the misses that arrive while it runs wait for its value.

When a busy entry expires, every request in flight for it misses at once (a user's status, read by
all of that user's requests). Each of them querying the database would queue for the pool's
connections behind the others, and every request behind them waits too.
"""

import asyncio
from collections.abc import Awaitable, Callable


class SingleFlight:
    def __init__(self) -> None:
        self._flights: dict[str, asyncio.Future[bytes | None]] = {}

    async def run(self, key: str, load: Callable[[], Awaitable[bytes]]) -> bytes:
        flight = self._flights.get(key)
        if flight is not None:
            # Shielded: a waiter that is cancelled leaves the flight to the others.
            value = await asyncio.shield(flight)
            # None: the first load failed, and its error was that request's answer. Load anew.
            return value if value is not None else await load()
        flight = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        value = None
        try:
            value = await load()
            return value
        finally:
            del self._flights[key]
            flight.set_result(value)
