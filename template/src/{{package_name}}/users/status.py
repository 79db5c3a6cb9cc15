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
    key = status_key(user_id)
    cached = await cache.get(key)
    if cached is not None:
        return _DECODED[cached]
    active = await UserRepository(session).is_active(user_id)
    if ttl_seconds > 0:
        await cache.set(key, _ENCODED[active], ttl_seconds)
    return active


async def forget(cache: Cache, user_id: uuid.UUID) -> None:
    await cache.delete(status_key(user_id))
