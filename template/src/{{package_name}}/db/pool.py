"""A connection pool that serves waiting requests first come, first served.

SQLAlchemy's async pool waits on an asyncio.Queue, which lets a request arriving just as a
connection comes back take it ahead of the requests already waiting; the one woken for it finds
nothing and queues again at the back. Under load a few requests lose that race over and over:
seconds of tail latency and pool timeouts while the pool is busy but healthy. Here a returned
connection is handed straight to the request that has waited longest, and nobody takes an idle
connection while others wait.
"""

import asyncio
from collections import deque

from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util import await_
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty


class FairQueue(AsyncAdaptedQueue[ConnectionPoolEntry]):
    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._waiters: deque[asyncio.Future[ConnectionPoolEntry]] = deque()

    def put_nowait(self, item: ConnectionPoolEntry) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a waiter that timed out is skipped
                waiter.set_result(item)
                return
        super().put_nowait(item)

    def get(self, block: bool = True, timeout: float | None = None) -> ConnectionPoolEntry:
        if not self._waiters:
            try:
                return self.get_nowait()
            except Empty:
                if not block:
                    raise
        elif not block:
            raise Empty()
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            entry: ConnectionPoolEntry = await_(asyncio.wait_for(waiter, timeout))
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                # Handed over just as this request gave up: pass the connection on.
                self.put_nowait(waiter.result())
            if isinstance(exc, TimeoutError):
                raise Empty() from exc
            raise
        return entry


class FairAsyncPool(AsyncAdaptedQueuePool):
    _queue_class = FairQueue
