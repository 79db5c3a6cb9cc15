"""Database failures as envelope errors: a lost connection is a fast 503, a constraint a 409."""

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from ..core.errors import error_response

logger = structlog.get_logger()


async def _integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    # Services turn the constraints they expect into specific errors; this is the safety net.
    return error_response(request.scope, 409, "conflict", "The request conflicts with stored data")


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, ProgrammingError):
        # An unknown table or column, a syntax error: a bug, not an outage. Re-raised, it becomes
        # a 500 logged with its traceback.
        raise exc
    # The driver's message only: the statement's parameters may hold personal data.
    reason = exc.orig if isinstance(exc, DBAPIError) else exc
    logger.warning("database_unavailable", error=type(reason).__name__, message=str(reason))
    return error_response(
        request.scope, 503, "service_unavailable", "Database temporarily unavailable"
    )


def install_database_error_handlers(app: FastAPI) -> None:
    app.exception_handler(IntegrityError)(_integrity_error)
    app.exception_handler(PoolTimeoutError)(_database_unavailable)
    app.exception_handler(DBAPIError)(_database_unavailable)
