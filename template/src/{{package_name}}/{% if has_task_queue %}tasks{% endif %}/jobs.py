"""What the API and the workers agree on whatever the queue: the jobs' names, how long an attempt
may run, when a failed one is tried again, and what a client reads about a failure."""

import asyncio
from collections.abc import Awaitable
from typing import Any

from pydantic import BaseModel

from .errors import JobError, JobTimeoutError
from .schemas import JobFailure
from .settings import TaskSettings

ITEMS_REPORT = "items_report"


def retry_delay(settings: TaskSettings, retry: int) -> float:
    """Seconds before retry number `retry` (1, 2, …): the delay, doubled for each next one."""
    return settings.task_retry_delay_seconds * 2.0 ** (retry - 1)


async def run_attempt(settings: TaskSettings, attempt: Awaitable[BaseModel]) -> dict[str, Any]:
    """One attempt of a job, within the time limit; its result as the queue keeps it (JSON)."""
    limit = settings.task_time_limit_seconds
    try:
        async with asyncio.timeout(limit):
            result = await attempt
    except TimeoutError as exc:
        raise JobTimeoutError(f"The job ran longer than {limit:g} seconds") from exc
    return result.model_dump(mode="json")


def failure_of(error: BaseException | None) -> JobFailure:
    """A JobError says what went wrong itself; any other error is a bug, whose message (it may
    hold data) stays in the worker's log."""
    if isinstance(error, JobError):
        return JobFailure(code=error.code, message=error.message, details=error.details)
    return JobFailure(code="job_failed", message="The job failed", details=None)
