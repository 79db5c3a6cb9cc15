"""Queries of the accounts tables."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from .models import RefreshToken, User

# The auth check's query, built once: composing a statement costs more than running it.
IS_ACTIVE = select(User.is_active).where(User.id == bindparam("user_id"))


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def is_active(self, user_id: uuid.UUID) -> bool | None:
        """The user's active flag, or None when there is no such user: one column, no object."""
        active: bool | None = await self.session.scalar(IS_ACTIVE, {"user_id": user_id})
        return active

    async def get_by_email(self, email: str) -> User | None:
        """`email` as normalized by the schemas (lower case)."""
        user: User | None = await self.session.scalar(select(User).where(User.email == email))
        return user

    async def page(self, *, limit: int, offset: int) -> tuple[Sequence[User], int]:
        """One page, oldest first (id breaks ties so pages never overlap), and the total."""
        total = await self.session.scalar(select(func.count()).select_from(User))
        rows = await self.session.scalars(
            select(User).order_by(User.created_at, User.id).limit(limit).offset(offset)
        )
        return rows.all(), total or 0

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user


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
