"""User accounts: registration, own profile, administration, and the first admin."""

import uuid

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth.repository import RefreshTokenRepository
from ..core.config import Settings
from ..core.errors import AppError, ConflictError, NotFoundError
from ..core.pagination import Page, PageParams
from ..core.security import hash_password, verify_password
from ..db.base import utc_now
from ..db.engine import Database
from .models import Role, User
from .repository import UserRepository
from .schemas import UserAdminUpdate, UserCreate, UserRead, UserUpdateMe


async def register(session: AsyncSession, data: UserCreate) -> User:
    user = User(
        email=data.email,
        full_name=data.full_name,
        hashed_password=await hash_password(data.password),
    )
    try:
        # The unique constraint decides, so two concurrent registrations cannot both succeed.
        return await UserRepository(session).add(user)
    except IntegrityError as exc:
        raise ConflictError("A user with this e-mail address already exists") from exc


async def update_me(session: AsyncSession, user: User, changes: UserUpdateMe) -> User:
    if "full_name" in changes.model_fields_set:
        user.full_name = changes.full_name
    # Both or neither: the schema refuses a new password without the current one.
    if changes.password is not None and changes.current_password is not None:
        valid, _ = await verify_password(changes.current_password, user.hashed_password)
        if not valid:
            raise AppError("The current password is incorrect")
        user.hashed_password = await hash_password(changes.password)
        # Whoever knew the old password is signed out: every refresh token of the user is
        # revoked (this client logs in again once its access token expires).
        await RefreshTokenRepository(session).revoke_all_of_user(user.id, utc_now())
    await session.flush()
    return user


async def list_users(session: AsyncSession, page: PageParams) -> Page[UserRead]:
    users, total = await UserRepository(session).page(limit=page.limit, offset=page.offset)
    return Page(
        items=[UserRead.model_validate(user) for user in users],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def update_user(
    session: AsyncSession, admin: User, user_id: uuid.UUID, changes: UserAdminUpdate
) -> User:
    user = await UserRepository(session).get(user_id)
    if user is None:
        raise NotFoundError("User not found")
    demoted = changes.role is not None and changes.role != Role.ADMIN
    if user.id == admin.id and (demoted or changes.is_active is False):
        # Otherwise the last admin could lock everyone out of administration.
        raise ConflictError("Admins cannot demote or deactivate themselves")
    if changes.role is not None:
        user.role = changes.role
    if changes.is_active is not None:
        user.is_active = changes.is_active
        if not user.is_active:
            await RefreshTokenRepository(session).revoke_all_of_user(user.id, utc_now())
    await session.flush()
    return user


async def create_admin(settings: Settings, email: str, password: str) -> User:
    """Create an admin, or promote, re-activate and reset the password of an existing user.

    For the CLI: it opens its own database connection. Bad input raises ValueError.
    """
    try:
        data = UserCreate(email=email, password=password)
    except ValidationError as exc:
        # Say what is wrong without echoing the input: it may be the password.
        problems = (f"{error['loc'][0]}: {error['msg']}" for error in exc.errors())
        raise ValueError("; ".join(problems)) from None
    hashed_password = await hash_password(data.password)
    database = Database(settings)
    try:
        async with database.session() as session, session.begin():
            users = UserRepository(session)
            user = await users.get_by_email(data.email)
            if user is None:
                return await users.add(
                    User(email=data.email, hashed_password=hashed_password, role=Role.ADMIN)
                )
            user.role = Role.ADMIN
            user.is_active = True
            user.hashed_password = hashed_password
            await RefreshTokenRepository(session).revoke_all_of_user(user.id, utc_now())
            return user
    finally:
        await database.dispose()
