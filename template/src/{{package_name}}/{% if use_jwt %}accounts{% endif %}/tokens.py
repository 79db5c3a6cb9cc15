"""The service's own signed JWTs: access tokens for requests, refresh tokens to renew them."""

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import jwt

from ..core.errors import UnauthorizedError
from .settings import AccountSettings

REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "type", "iss", "aud"]


class TokenType(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: uuid.UUID
    token_id: uuid.UUID
    role: str = ""  # access tokens only


def create_token(
    settings: AccountSettings,
    token_type: TokenType,
    subject: uuid.UUID,
    *,
    expires_at: datetime,
    token_id: uuid.UUID | None = None,
    role: str = "",
) -> str:
    payload = {
        "sub": str(subject),
        "exp": expires_at,
        "iat": datetime.now(UTC),
        "jti": str(token_id or uuid.uuid4()),
        "type": token_type.value,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    if role:
        payload["role"] = role
    return jwt.encode(payload, settings.signing_key, algorithm=settings.jwt_algorithm)


def decode_token(settings: AccountSettings, token: str, token_type: TokenType) -> TokenClaims:
    """Verify signature, algorithm, expiry, issuer, audience and type, or raise a 401."""
    if token_type is not TokenType.ACCESS:  # refresh tokens are used once: nothing to remember
        return _verify(settings, token, token_type)[0]
    return _verified_access_tokens.get(settings, token)


def _verify(
    settings: AccountSettings, token: str, token_type: TokenType
) -> tuple[TokenClaims, float]:
    """The token's claims and expiry (seconds since the epoch), or a 401."""
    try:
        payload = jwt.decode(
            token,
            settings.signing_key,
            # Only the configured algorithm: never `none`, never one the token header picks.
            algorithms=[settings.jwt_algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": REQUIRED_CLAIMS},
        )
        claims = TokenClaims(
            subject=uuid.UUID(payload["sub"]),
            token_id=uuid.UUID(payload["jti"]),
            role=str(payload.get("role", "")),
        )
    except jwt.ExpiredSignatureError as exc:
        raise UnauthorizedError("Token has expired") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:  # ValueError: sub or jti is not a UUID
        raise UnauthorizedError("Invalid token") from exc
    if payload["type"] != token_type:
        raise UnauthorizedError("Wrong token type")
    # An access token names the user's role when it was issued: what the caller may do
    # (principal.py) is known without a query.
    if token_type is TokenType.ACCESS and not claims.role:
        raise UnauthorizedError("Invalid token")
    return claims, float(payload["exp"])


class VerifiedTokens:
    """Access tokens already verified, until they expire: a client sends the same one with every
    request, and checking its signature each time would cost more than the rest of the check.

    Keyed by the token and every setting it was verified against; bounded, least recently used
    first out.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, ...], tuple[TokenClaims, float]] = OrderedDict()

    def get(self, settings: AccountSettings, token: str) -> TokenClaims:
        key = (
            token,
            settings.signing_key,
            settings.jwt_algorithm,
            settings.jwt_issuer,
            settings.jwt_audience,
        )
        verified = self._entries.pop(key, None)
        if verified is None or verified[1] <= time.time():
            verified = _verify(settings, token, TokenType.ACCESS)
        self._entries[key] = verified  # (re)inserted last: the most recently used
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return verified[0]


_verified_access_tokens = VerifiedTokens(max_entries=4096)
