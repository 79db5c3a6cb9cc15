"""Which jobs were submitted, by whom, and under which idempotency keys: kept in Redis, next to the
results, for as long as the results.

A job's state comes from the queue; these records answer what the queue cannot: an id that was
never submitted, or that another client submitted, is a 404; a second submission with the same
Idempotency-Key gets the first job.
"""

import hashlib
from typing import cast

from redis.asyncio import Redis

from .settings import TaskSettings


class JobRecords:
    def __init__(self, redis: Redis, settings: TaskSettings) -> None:
        # A client that decodes its answers (decode_responses=True): they come back as str.
        self.redis = redis
        self.prefix = f"{settings.task_queue_name}:jobs"
        self.ttl = settings.task_result_ttl_seconds

    async def add(self, job_id: str, owner: str) -> None:
        await self.redis.set(self._job(job_id), owner, ex=self.ttl)

    async def owner_of(self, job_id: str) -> str | None:
        return cast(str | None, await self.redis.get(self._job(job_id)))

    async def claim(self, owner: str, key: str, job_id: str) -> str:
        """The job the idempotency key stands for: `job_id` if the key was free."""
        name = self._key(owner, key)
        if await self.redis.set(name, job_id, nx=True, ex=self.ttl):
            return job_id
        first = cast(str | None, await self.redis.get(name))
        return first or job_id  # expired in between: free again

    async def forget(self, job_id: str, owner: str, key: str | None) -> None:
        """Undo a submission the queue refused: its record, and its key if it holds this job."""
        names = [self._job(job_id)]
        if key is not None and await self.redis.get(self._key(owner, key)) == job_id:
            names.append(self._key(owner, key))
        await self.redis.delete(*names)

    def _job(self, job_id: str) -> str:
        return f"{self.prefix}:{job_id}"

    def _key(self, owner: str, key: str) -> str:
        # Hashed: a key is any client string, and a Redis key should not be.
        digest = hashlib.sha256(key.encode()).hexdigest()
        return f"{self.prefix}:key:{owner}:{digest}"
