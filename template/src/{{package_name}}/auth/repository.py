import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from .models import RefreshToken


class RefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, token_id: uuid.UUID) -> RefreshToken | None:
        """The token with its user, loaded in the same query."""
        return await self.session.get(
            RefreshToken, token_id, options=[joinedload(RefreshToken.user)]
        )

    def add(self, token: RefreshToken) -> None:
        self.session.add(token)

    async def mark_used(self, token_id: uuid.UUID, now: datetime) -> bool:
        """Claim a live token for one refresh; False if it was already used or revoked.

        One conditional UPDATE, so two concurrent refreshes with the same token cannot both win.
        """
        statement = (
            update(RefreshToken)
            .where(
                RefreshToken.id == token_id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(used_at=now)
        )
        result = cast(CursorResult[Any], await self.session.execute(statement))
        return result.rowcount == 1

    async def delete_expired(self, user_id: uuid.UUID, now: datetime) -> None:
        """Expired tokens fail on their `exp` claim anyway: their rows only take space."""
        await self.session.execute(
            delete(RefreshToken).where(
                RefreshToken.user_id == user_id, RefreshToken.expires_at <= now
            )
        )

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        await self._revoke(RefreshToken.family_id == family_id, now)

    async def revoke_all_of_user(self, user_id: uuid.UUID, now: datetime) -> None:
        await self._revoke(RefreshToken.user_id == user_id, now)

    async def _revoke(self, which: ColumnElement[bool], now: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(which, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
