"""Database failures as envelope errors: an outage is a 503, a constraint a 409, a bug a 500;
for the commands, a database out of reach is one line that says why."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    NotSupportedError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from ..core.errors import ConflictError, ServiceUnavailableError
from .engine import connection_problem, is_outage

logger = structlog.get_logger()


@contextmanager
def database_errors_as_app_errors() -> Iterator[None]:
    """Raise the error envelope's errors for what the database answers inside the block."""
    try:
        yield
    except IntegrityError as exc:
        # Services turn the constraints they expect into specific errors; this is the safety net.
        raise ConflictError("The request conflicts with stored data") from exc
    except (ProgrammingError, DataError, NotSupportedError):
        # An unknown table or column, a syntax error, a value that does not fit: a bug, not an
        # outage (a 500, logged with its traceback; clients are not told to retry).
        raise
    except (DBAPIError, PoolTimeoutError) as exc:
        if isinstance(exc, DBAPIError) and not is_outage(exc.orig):
            raise  # the same: the database refused the request, it did not fail to serve it
        # The driver's message only: the statement's parameters may hold personal data.
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        logger.warning("database_unavailable", error=type(reason).__name__, message=str(reason))
        raise ServiceUnavailableError("Database temporarily unavailable") from exc


@contextmanager
def exit_when_out_of_reach(database_url: str) -> Iterator[None]:
    """No server, no such database, a refused login: the command ends with one line that says
    why and what to do (exit status 1), not a traceback. Other failures keep theirs."""
    try:
        yield
    except (DBAPIError, OSError) as exc:
        problem = connection_problem(database_url, exc)
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        raise SystemExit(1) from None
