"""Bodies of /jobs."""

import uuid
from typing import Any, Literal

from pydantic import BaseModel

# pending: queued, or waiting for a retry; running: a worker has it; succeeded or failed: done.
JobStatus = Literal["pending", "running", "succeeded", "failed"]


class JobAccepted(BaseModel):
    id: uuid.UUID
    status: JobStatus


class JobFailure(BaseModel):
    """Why a job failed, in the fields of the error envelope."""

    code: str
    message: str
    details: Any = None


class ItemsReport(BaseModel):
    """The result of the example job."""

    items: int
    described: int  # items with a description


class Job(BaseModel):
    id: uuid.UUID
    status: JobStatus
    result: ItemsReport | None = None
    error: JobFailure | None = None
