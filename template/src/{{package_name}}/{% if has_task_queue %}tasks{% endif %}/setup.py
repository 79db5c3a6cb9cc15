"""The task queue in the app: opened and closed with it, its broker and the Redis of its results
checked by /health/ready (and by the worker containers' health check)."""

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

# How long `worker --check` waits for the broker, then for the Redis of the results.
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


async def ping_broker(settings: TaskSettings) -> None:
    queue = QueueClient(settings)
    try:
        await queue.ping()
    finally:
        await queue.close()


async def ping_results(settings: TaskSettings) -> None:
    redis = Redis.from_url(settings.redis_url)
    try:
        await redis.ping()
    finally:
        await redis.aclose()


# What a worker needs, as `worker --check` names it: where jobs come from, where results go.
WORKER_NEEDS = (
    ("the broker (BROKER_URL)", ping_broker),
    ("the result backend, Redis (REDIS_URL)", ping_results),
)


def check_worker_needs(settings: TaskSettings) -> int:
    """`worker --check`, the health check of the worker and scheduler containers: 0 when the broker
    and the Redis of the results answer, else 1 and a line for each that does not."""

    async def check() -> list[str]:
        problems = []
        for name, ping in WORKER_NEEDS:
            try:
                async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                    await ping(settings)
            except Exception as exc:  # whatever it is, the workers cannot do without it
                problems.append(f"error: {name} does not answer: {type(exc).__name__}: {exc}")
        return problems

    problems = asyncio.run(check())
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0
