"""How a job fails, as its client reads it from the job's state: a code, a message and details,
the fields of the error envelope."""

from typing import Any


class JobError(Exception):
    """A failure the job reports to its client.

    Arguments are positional only: the queues store an exception as its class and arguments, and
    build it anew from them when the state is read.
    """

    code = "job_failed"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details)
        self.message = message
        self.details = details


class TransientJobError(JobError):
    """Something the job needs failed for now (a database out of reach): the job is retried."""

    code = "service_unavailable"


class JobTimeoutError(JobError):
    """The job ran longer than TASK_TIME_LIMIT_SECONDS."""

    code = "timeout"
