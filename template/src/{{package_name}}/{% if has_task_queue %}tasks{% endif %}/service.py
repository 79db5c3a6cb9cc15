"""Submitting jobs and reading their state: what the /jobs routes do, whatever the queue."""

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any, Protocol

import structlog
from redis.exceptions import RedisError

from ..core.errors import NotFoundError, ServiceUnavailableError
from .jobs import ITEMS_REPORT
from .records import JobRecords
from .schemas import Job, JobAccepted

logger = structlog.get_logger()


class JobQueue(Protocol):
    """The queue as the API uses it (tasks/queue.py)."""

    async def enqueue(self, job_id: str, name: str, **arguments: Any) -> None:
        """Hand the job to the broker; a ServiceUnavailableError when it does not take it within
        TASK_ENQUEUE_TIMEOUT_SECONDS."""
        ...

    async def job(self, job_id: str) -> Job:
        """The job's state, result or failure, as its results in Redis tell."""
        ...


@contextlib.contextmanager
def store_errors_as_app_errors() -> Iterator[None]:
    """Redis, which keeps the jobs' records and results, out of reach or silent: a 503."""
    try:
        yield
    except (RedisError, TimeoutError) as exc:
        logger.warning("job_store_unavailable", error=type(exc).__name__, message=str(exc))
        raise ServiceUnavailableError("The job store is unavailable") from exc


class Jobs:
    """The jobs of one client (`owner`: "" when the service signs nobody in)."""

    def __init__(self, queue: JobQueue, records: JobRecords, owner: str) -> None:
        self.queue = queue
        self.records = records
        self.owner = owner

    async def submit_items_report(self, idempotency_key: str | None) -> JobAccepted:
        job_id = str(uuid.uuid4())
        with store_errors_as_app_errors():
            # The record first: whoever finds the key finds the record of its job.
            await self.records.add(job_id, self.owner)
            if idempotency_key is not None:
                first = await self.records.claim(self.owner, idempotency_key, job_id)
                if first != job_id:
                    await self.records.forget(job_id, self.owner, None)
                    return JobAccepted(id=uuid.UUID(first), status=(await self.get(first)).status)
        try:
            await self.queue.enqueue(job_id, ITEMS_REPORT, owner_id=self.owner or None)
        except ServiceUnavailableError:
            with contextlib.suppress(RedisError):  # best effort: Redis may be the broker, and down
                await self.records.forget(job_id, self.owner, idempotency_key)
            raise
        return JobAccepted(id=uuid.UUID(job_id), status="pending")

    async def get(self, job_id: str) -> Job:
        with store_errors_as_app_errors():
            if await self.records.owner_of(job_id) != self.owner:
                raise NotFoundError("Job not found")
            return await self.queue.job(job_id)
