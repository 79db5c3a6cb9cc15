"""Users' active flags through the cache, for the auth check that runs on every request.

While a flag is cached, that check costs no database round trip. It is kept for
USER_STATUS_TTL_SECONDS only: a change made through this worker forgets it at once, one made
elsewhere (another worker, or by hand in the database) is seen within that time.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from ..cache.base import Cache
from .repository import UserRepository

# Cached values: active, inactive, and no such user (deleted since its token was issued).
_ENCODED = {True: b"1", False: b"0", None: b"-"}
_DECODED = {value: flag for flag, value in _ENCODED.items()}


def status_key(user_id: uuid.UUID) -> str:
    return f"users:{user_id}:active"


async def is_active(
    session: AsyncSession, cache: Cache, user_id: uuid.UUID, *, ttl_seconds: float
) -> bool | None:
    """The user's active flag, or None when there is no such user."""
    if ttl_seconds <= 0:
        return await UserRepository(session).is_active(user_id)

    async def load() -> bytes:
        return _ENCODED[await UserRepository(session).is_active(user_id)]

    # When the entry expires, all of this user's requests in flight share one query.
    return _DECODED[await cache.get_or_load(status_key(user_id), load, ttl_seconds)]


async def forget(cache: Cache, user_id: uuid.UUID) -> None:
    await cache.delete(status_key(user_id))
