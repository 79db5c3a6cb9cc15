"""`CurrentUser` and `AdminUser`: the authenticated caller, for any route that needs one."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from ..core.config import SettingsDep
from ..core.errors import ForbiddenError, UnauthorizedError
from ..core.security import TokenType, decode_token
from ..db.session import SessionDep
from ..users.models import Role, User
from ..users.repository import UserRepository
from .service import ensure_active

# auto_error=False: a missing token is raised below as the error envelope, not FastAPI's default.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)


async def get_current_user(
    token: Annotated[str | None, Depends(oauth2_scheme)],
    session: SessionDep,
    settings: SettingsDep,
) -> User:
    if token is None:
        raise UnauthorizedError()
    claims = decode_token(settings, token, TokenType.ACCESS)
    user = await UserRepository(session).get(claims.subject)
    if user is None:  # deleted since the token was issued
        raise UnauthorizedError("Invalid token")
    ensure_active(user)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin_user(user: CurrentUser) -> User:
    if user.role != Role.ADMIN:
        raise ForbiddenError("Admin role required")
    return user


AdminUser = Annotated[User, Depends(get_admin_user)]
