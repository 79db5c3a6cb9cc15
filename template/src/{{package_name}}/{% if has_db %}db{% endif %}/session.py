"""Request-scoped database session.

Safe methods (GET, HEAD, OPTIONS) only read: their session runs without a transaction, so a read
costs no BEGIN/COMMIT round trips. Any other method gets one transaction, committed on success
and rolled back on error. What the database answers meanwhile becomes an envelope error (a 409
or a fast 503), wherever in the request it was raised.
"""

from collections.abc import AsyncIterator
from typing import Annotated, cast

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from .database import Database
from .errors import database_errors_as_app_errors

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    database = cast(Database, request.app.state.database)
    with database_errors_as_app_errors():
        if request.method in READ_ONLY_METHODS:
            session = database.read_session()
            try:
                yield session
            finally:
                await close_read_session(session)
            return
        async with database.session() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            if session.in_transaction():
                await session.commit()


async def close_read_session(session: AsyncSession) -> None:
    """Close a read session; one that ran no statement (a cache hit) holds no connection, so it
    closes right here, without the detour through a greenlet that an async close takes."""
    if session.in_transaction():
        await session.close()
    else:
        session.sync_session.close()


# scope="function": the commit happens before the response is sent, so a failed commit is an error
# response rather than a success the client saw for a write that was lost.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
