import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import User

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
