"""The service's database: one engine, its session factories and its direct reads, shared by all
requests."""

import logging
from types import TracebackType
from typing import Any, Self

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from .direct_reads import DirectReads
from .engine import DatabaseSettings, create_engine, read_engine

# DATABASE_ECHO: SQLAlchemy gives its engine logger a handler of its own when it has none, and each
# statement was printed twice (its format, then the service's). A handler that writes nothing keeps
# it from adding one; the records still reach the service's log.
logging.getLogger("sqlalchemy.engine.Engine").addHandler(logging.NullHandler())


class Database:
    """Connects lazily (building it costs no I/O); `dispose()` closes its connections."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self.engine = create_engine(settings)
        # expire_on_commit=False: objects stay readable after commit without another round trip.
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self.read_sessionmaker = async_sessionmaker(
            read_engine(self.engine), sync_session_class=ReadOnlySession, autoflush=False
        )
        # The busiest routes' reads, without a session (direct_reads.py).
        self.reads = DirectReads(self.engine)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.dispose()

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()

    def session(self) -> AsyncSession:
        return self.sessionmaker()

    def read_session(self) -> AsyncSession:
        """A session for requests that only read; it refuses to write."""
        return self.read_sessionmaker()


class ReadOnlySession(Session):
    """The session of read requests: it never commits, so a write through it is refused."""


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    raise RuntimeError("read-only session: use a request method that writes (POST, PATCH, …)")
