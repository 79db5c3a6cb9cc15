"""The accounts tables: users, and the refresh tokens of their logins."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db.base import Base, TimestampMixin


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


class User(TimestampMixin, Base):
    __tablename__ = "users"
    # E-mails are stored lower-cased (schemas.normalize_email), and the database holds to that: with
    # the unique constraint, no two users share an address in any spelling, on every engine.
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    hashed_password: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(100))
    # A plain VARCHAR holding the enum's values: adding a role needs no database enum migration.
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            native_enum=False,
            length=16,
            values_callable=lambda roles: [role.value for role in roles],
        ),
        default=Role.USER,
    )
    is_active: Mapped[bool] = mapped_column(default=True)


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
