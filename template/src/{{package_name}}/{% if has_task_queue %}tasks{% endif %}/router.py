"""/jobs: submit the example job (202 and where to follow it), read a job's state and result."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from ..core.api import API_PREFIX
from ..core.errors import error_responses
from .dependencies import JOBS_ERRORS, JobsDep
from .schemas import Job, JobAccepted
from .setup import open_jobs

router = APIRouter(
    prefix="/jobs",
    tags=["jobs"],
    responses=error_responses(*JOBS_ERRORS, 422, 503),
    lifespan=open_jobs,  # the queue opens and closes with the app
)
# A client's key for one submission, sent again with a retry of it (the IETF draft's header).
IdempotencyKey = Annotated[str | None, Header(min_length=1, max_length=255)]


@router.post("/items-report", status_code=status.HTTP_202_ACCEPTED)
async def submit_items_report(
    jobs: JobsDep, response: Response, idempotency_key: IdempotencyKey = None
) -> JobAccepted:
    """Queue a report on the items; a second submission with the same Idempotency-Key gets the
    first job."""
    accepted = await jobs.submit_items_report(idempotency_key)
    response.headers["Location"] = f"{API_PREFIX}/jobs/{accepted.id}"
    return accepted


# Only a UUID is a job's id: /jobs/items-report is no job to read.
@router.get("/{job_id:uuid}", responses=error_responses(404))
async def get_job(job_id: uuid.UUID, jobs: JobsDep) -> Job:
    """The job's state: pending, running, succeeded (with its result) or failed (with why)."""
    return await jobs.get(str(job_id))
