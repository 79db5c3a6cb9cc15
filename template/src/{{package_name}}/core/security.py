"""Password hashing and the service's signed JWTs."""

import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher
from starlette.concurrency import run_in_threadpool

from .config import Settings
from .errors import UnauthorizedError

# Argon2 hashes; bcrypt hashes (e.g. imported from another system) still verify and are replaced
# by argon2 at the next successful login.
password_hash = PasswordHash((Argon2Hasher(), BcryptHasher()))

REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "type", "iss", "aud"]


class TokenType(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: uuid.UUID
    token_id: uuid.UUID


async def hash_password(password: str) -> str:
    # Hashing costs tens of milliseconds of CPU: run it in a worker thread, off the event loop.
    return await run_in_threadpool(password_hash.hash, password)


async def verify_password(password: str, hashed: str | None) -> tuple[bool, str | None]:
    """Check a password; the second item is a new hash when the stored one is outdated.

    Pass `hashed=None` for an unknown user: a dummy hash is verified instead, so the response takes
    as long as for a wrong password and its timing does not tell which e-mails are registered.
    """
    return await run_in_threadpool(_verify_password, password, hashed)


def _verify_password(password: str, hashed: str | None) -> tuple[bool, str | None]:
    if hashed is None:
        password_hash.verify(password, _dummy_hash())
        return False, None
    return password_hash.verify_and_update(password, hashed)


@cache
def _dummy_hash() -> str:
    return password_hash.hash(secrets.token_urlsafe())


def create_token(
    settings: Settings,
    token_type: TokenType,
    subject: uuid.UUID,
    *,
    expires_at: datetime,
    token_id: uuid.UUID | None = None,
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
    return jwt.encode(payload, settings.signing_key, algorithm=settings.jwt_algorithm)


# Access tokens come with every request of a client: each is verified once, then served from here
# until it expires (checked on every use). Keyed by the token and every setting it was verified
# against; the least recently used go first beyond the bound.
VERIFIED_TOKENS_MAX = 4096
_verified_tokens: OrderedDict[tuple[str, ...], tuple[TokenClaims, float]] = OrderedDict()


def decode_token(settings: Settings, token: str, token_type: TokenType) -> TokenClaims:
    """Verify signature, algorithm, expiry, issuer, audience and type, or raise a 401."""
    if token_type is not TokenType.ACCESS:  # refresh tokens are used once: nothing to remember
        return _verify(settings, token, token_type)[0]
    key = (
        token,
        settings.signing_key,
        settings.jwt_algorithm,
        settings.jwt_issuer,
        settings.jwt_audience,
    )
    verified = _verified_tokens.pop(key, None)
    if verified is None or verified[1] <= time.time():
        verified = _verify(settings, token, token_type)
    _verified_tokens[key] = verified  # (re)inserted last: the most recently used
    if len(_verified_tokens) > VERIFIED_TOKENS_MAX:
        _verified_tokens.popitem(last=False)
    return verified[0]


def _verify(settings: Settings, token: str, token_type: TokenType) -> tuple[TokenClaims, float]:
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
        claims = TokenClaims(subject=uuid.UUID(payload["sub"]), token_id=uuid.UUID(payload["jti"]))
    except jwt.ExpiredSignatureError as exc:
        raise UnauthorizedError("Token has expired") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:  # ValueError: sub or jti is not a UUID
        raise UnauthorizedError("Invalid token") from exc
    if payload["type"] != token_type:
        raise UnauthorizedError("Wrong token type")
    return claims, float(payload["exp"])
