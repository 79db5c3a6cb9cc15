"""The authenticated caller, for any route that needs one.

`CurrentUserId` is the cheapest: a valid access token of a user who still exists and is active,
checked with a single-column query on every request, so a deactivated user is refused at once.
`CurrentUser` loads the whole user, for routes that show or change it; `AdminUser` also requires
the admin role.
"""

import uuid
from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from ..core.config import Settings, SettingsDep
from ..core.errors import ForbiddenError, UnauthorizedError
from ..core.security import TokenClaims, TokenType, decode_token
from ..db.session import SessionDep
from ..users.models import Role, User
from ..users.repository import UserRepository
from .service import ensure_active

# auto_error=False: a missing token is raised below as the error envelope, not FastAPI's default.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]


def _access_claims(token: str | None, settings: Settings) -> TokenClaims:
    if token is None:
        raise UnauthorizedError()
    return decode_token(settings, token, TokenType.ACCESS)


async def get_current_user_id(
    token: TokenDep, session: SessionDep, settings: SettingsDep
) -> uuid.UUID:
    claims = _access_claims(token, settings)
    active = await UserRepository(session).is_active(claims.subject)
    if active is None:  # deleted since the token was issued
        raise UnauthorizedError("Invalid token")
    ensure_active(active)
    return claims.subject


CurrentUserId = Annotated[uuid.UUID, Depends(get_current_user_id)]


async def get_current_user(token: TokenDep, session: SessionDep, settings: SettingsDep) -> User:
    claims = _access_claims(token, settings)
    user = await UserRepository(session).get(claims.subject)
    if user is None:  # deleted since the token was issued
        raise UnauthorizedError("Invalid token")
    ensure_active(user.is_active)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin_user(user: CurrentUser) -> User:
    if user.role != Role.ADMIN:
        raise ForbiddenError("Admin role required")
    return user


AdminUser = Annotated[User, Depends(get_admin_user)]
