"""Request-scoped database session: commit on success, roll back on error."""

from collections.abc import AsyncIterator
from typing import Annotated, cast

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from .engine import Database


def get_database(request: Request) -> Database:
    return cast(Database, request.app.state.database)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_database(request).session() as session:
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
