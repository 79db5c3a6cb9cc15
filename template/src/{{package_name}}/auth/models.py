import uuid
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db.base import Base, TimestampMixin
from ..users.models import User


class RefreshToken(TimestampMixin, Base):
    """One issued refresh token. Rotation chains the tokens of a login into a family.

    A token is used once: refreshing marks it used and issues the next one of its family.
    Presenting a used token again means it leaked, so the whole family is revoked.
    """

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the token's `jti` claim
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    # lazy="raise": an async session cannot lazy-load; callers load the user explicitly.
    user: Mapped[User] = relationship(lazy="raise")
