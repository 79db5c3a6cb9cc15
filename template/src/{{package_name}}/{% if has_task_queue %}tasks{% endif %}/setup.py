"""The task queue in the app: opened and closed with it, its broker checked by /health/ready (and
by the worker containers' health check)."""

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from fastapi import FastAPI
from redis.asyncio import Redis

from .queue import QueueClient
from .records import JobRecords
from .settings import TaskSettings

# How long `worker --check` waits for the broker.
CHECK_TIMEOUT_SECONDS = 5.0


@asynccontextmanager
async def open_jobs(app: FastAPI) -> AsyncIterator[None]:
    """The lifespan of the /jobs router, within the app's (FastAPI merges them). Nothing connects
    here: the API starts, and serves everything else, with the broker down."""
    settings = cast(TaskSettings, app.state.settings)
    redis = Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_connect_timeout=settings.task_enqueue_timeout_seconds,
        socket_timeout=settings.task_enqueue_timeout_seconds,
    )
    queue = QueueClient(settings)
    app.state.job_queue = queue
    app.state.job_records = JobRecords(redis, settings)
    app.state.readiness_checks["broker"] = queue.ping

    async def results() -> None:  # the Redis of the results and the jobs' records
        await redis.ping()

    app.state.readiness_checks["results"] = results
    try:
        yield
    finally:
        await queue.close()
        await redis.aclose()


def check_broker(settings: TaskSettings) -> int:
    """`worker --check`, the health check of the worker and scheduler containers: 0 when the
    broker answers, else 1 and why."""

    async def ping() -> None:
        queue = QueueClient(settings)
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                await queue.ping()
        finally:
            await queue.close()

    try:
        asyncio.run(ping())
    except Exception as exc:  # whatever it is, the broker is not there for the workers
        print(f"error: the broker does not answer: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0
