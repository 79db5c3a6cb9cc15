"""Database failures as envelope errors: a lost connection is a fast 503, a constraint a 409."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from ..core.errors import error_response


async def _integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    # Services turn the constraints they expect into specific errors; this is the safety net.
    return error_response(request.scope, 409, "conflict", "The request conflicts with stored data")


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    return error_response(
        request.scope, 503, "service_unavailable", "Database temporarily unavailable"
    )


def install_database_error_handlers(app: FastAPI) -> None:
    app.exception_handler(IntegrityError)(_integrity_error)
    app.exception_handler(PoolTimeoutError)(_database_unavailable)
    app.exception_handler(DBAPIError)(_database_unavailable)
