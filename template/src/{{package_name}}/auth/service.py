"""Login, refresh-token rotation and logout."""

import uuid
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from ..core.config import Settings
from ..core.errors import ForbiddenError, UnauthorizedError
from ..core.security import TokenType, create_token, decode_token, verify_password
from ..db.base import utc_now
from ..users.repository import UserRepository
from ..users.schemas import normalize_email
from .models import RefreshToken
from .repository import RefreshTokenRepository
from .schemas import TokenPair

logger = structlog.get_logger()


def ensure_active(is_active: bool) -> None:
    if not is_active:
        raise ForbiddenError("This account is disabled")


async def login(session: AsyncSession, settings: Settings, email: str, password: str) -> TokenPair:
    user = await UserRepository(session).get_by_email(normalize_email(email))
    # An unknown e-mail costs the same hashing work and gets the same answer as a wrong password.
    valid, new_hash = await verify_password(password, user.hashed_password if user else None)
    if user is None or not valid:
        raise UnauthorizedError("Incorrect e-mail or password")
    ensure_active(user.is_active)
    if new_hash is not None:
        user.hashed_password = new_hash
    tokens = RefreshTokenRepository(session)
    await tokens.delete_expired(user.id, utc_now())  # housekeeping, one user at a time
    return _issue_tokens(tokens, settings, user.id, family_id=uuid.uuid4())


async def refresh(session: AsyncSession, settings: Settings, refresh_token: str) -> TokenPair:
    """Trade a refresh token for a new pair; the presented token cannot be used again."""
    tokens = RefreshTokenRepository(session)
    stored = await _stored_token(tokens, settings, refresh_token)
    now = utc_now()
    if not await tokens.mark_used(stored.id, now):
        # A used (or revoked) token presented again was copied: end its whole family, the
        # copy and the legitimate client's newest token alike.
        await tokens.revoke_family(stored.family_id, now)
        logger.warning(
            "refresh_token_replayed", user_id=str(stored.user_id), family_id=str(stored.family_id)
        )
        await session.commit()  # the error response below would otherwise roll this back
        raise UnauthorizedError("Refresh token is no longer valid")
    ensure_active(stored.user.is_active)
    return _issue_tokens(tokens, settings, stored.user_id, family_id=stored.family_id)


async def logout(session: AsyncSession, settings: Settings, refresh_token: str) -> None:
    """End the login session of this refresh token (access tokens expire on their own)."""
    tokens = RefreshTokenRepository(session)
    stored = await _stored_token(tokens, settings, refresh_token)
    await tokens.revoke_family(stored.family_id, utc_now())


async def _stored_token(
    tokens: RefreshTokenRepository, settings: Settings, refresh_token: str
) -> RefreshToken:
    claims = decode_token(settings, refresh_token, TokenType.REFRESH)
    stored = await tokens.get(claims.token_id)
    if stored is None:
        raise UnauthorizedError("Invalid token")
    return stored


def _issue_tokens(
    tokens: RefreshTokenRepository,
    settings: Settings,
    user_id: uuid.UUID,
    *,
    family_id: uuid.UUID,
) -> TokenPair:
    now = utc_now()
    access_lifetime = timedelta(minutes=settings.access_token_expire_minutes)
    stored = RefreshToken(
        id=uuid.uuid4(),
        user_id=user_id,
        family_id=family_id,
        expires_at=now + timedelta(days=settings.refresh_token_expire_days),
    )
    tokens.add(stored)
    return TokenPair(
        access_token=create_token(
            settings, TokenType.ACCESS, user_id, expires_at=now + access_lifetime
        ),
        refresh_token=create_token(
            settings, TokenType.REFRESH, user_id, expires_at=stored.expires_at, token_id=stored.id
        ),
        expires_in=int(access_lifetime.total_seconds()),
    )
