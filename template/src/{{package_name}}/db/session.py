"""Request-scoped database session.

Safe methods (GET, HEAD, OPTIONS) only read: their session runs without a transaction, so a read
costs no BEGIN/COMMIT round trips. Any other method gets one transaction, committed on success
and rolled back on error.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, cast

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from .engine import Database

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    return cast(Database, request.app.state.database)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    database = get_database(request)
    if request.method in READ_ONLY_METHODS:
        session = database.read_session()
        try:
            yield session
        finally:
            # A read answered from the cache ran no statement and holds no connection: nothing to
            # close, and no detour through the event loop (the session's own exit would schedule
            # its close as a task). Shielded like that exit: a connection is always given back.
            if session.in_transaction():
                await asyncio.shield(session.close())
        return
    async with database.session() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        if session.in_transaction():
            await session.commit()


DatabaseDep = Annotated[Database, Depends(get_database)]
# scope="function": the commit happens before the response is sent, so a failed commit is an error
# response rather than a success the client saw for a write that was lost.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
