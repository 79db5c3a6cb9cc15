"""The accounts' use cases: sign-up and sign-in, token rotation, own profile, administration."""

import uuid
from datetime import timedelta

import structlog
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..core.errors import AppError, ConflictError, NotFoundError, UnauthorizedError
from ..core.pagination import Page, PageParams
from ..db.base import utc_now
from ..db.database import Database
from .models import RefreshToken, Role, User
from .passwords import PasswordHasher
from .repository import RefreshTokenRepository, UserRepository
from .schemas import (
    TokenPair,
    UserAdminUpdate,
    UserCreate,
    UserRead,
    UserUpdateMe,
    normalize_email,
)
from .settings import AccountSettings
from .tokens import TokenClaims, TokenType, create_token, decode_token

logger = structlog.get_logger()


class AccountService:
    def __init__(
        self, session: AsyncSession, settings: AccountSettings, passwords: PasswordHasher
    ) -> None:
        self.session = session
        self.settings = settings
        self.passwords = passwords
        self.users = UserRepository(session)
        self.tokens = RefreshTokenRepository(session)

    # --- Sign-up, sign-in and tokens ---------------------------------------------------------

    async def register(self, data: UserCreate) -> User:
        user = User(
            email=data.email,
            full_name=data.full_name,
            hashed_password=await self.passwords.hash(data.password),
        )
        try:
            # The unique constraint decides, so two concurrent registrations cannot both succeed.
            return await self.users.add(user)
        except IntegrityError as exc:
            raise ConflictError("A user with this e-mail address already exists") from exc

    async def login(self, email: str, password: str) -> TokenPair:
        user = await self.users.get_by_email(normalize_email(email))
        # Give the connection back while the password is checked: hashing may wait for a turn,
        # and a storm of sign-ins must not hold the pool meanwhile.
        await self.session.commit()
        # An unknown e-mail costs the same hashing work and gets the same answer as a wrong one.
        valid, new_hash = await self.passwords.verify(
            password, user.hashed_password if user else None
        )
        if user is None or not valid:
            raise UnauthorizedError("Incorrect e-mail or password")
        ensure_active(user.is_active)
        if new_hash is not None:
            user.hashed_password = new_hash
        await self.tokens.delete_expired(user.id, utc_now())  # housekeeping, one user at a time
        return self._issue_tokens(user, family_id=uuid.uuid4())

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Trade a refresh token for a new pair; the presented token cannot be used again."""
        stored = await self._stored_token(refresh_token)
        now = utc_now()
        if not await self.tokens.mark_used(stored.id, now):
            # A used (or revoked) token presented again was copied: end its whole family, the
            # copy and the legitimate client's newest token alike.
            await self.tokens.revoke_family(stored.family_id, now)
            logger.warning(
                "refresh_token_replayed",
                user_id=str(stored.user_id),
                family_id=str(stored.family_id),
            )
            await self.session.commit()  # the error response below would otherwise roll it back
            raise UnauthorizedError("Refresh token is no longer valid")
        ensure_active(stored.user.is_active)
        # The role as it is now: a promotion or demotion shows in the next access token.
        return self._issue_tokens(stored.user, family_id=stored.family_id)

    async def logout(self, refresh_token: str) -> None:
        """End the login session of this refresh token (access tokens expire on their own)."""
        stored = await self._stored_token(refresh_token)
        await self.tokens.revoke_family(stored.family_id, utc_now())

    # --- The caller of a request -------------------------------------------------------------

    async def authenticated_user_id(self, token: str | None) -> uuid.UUID:
        """The id of the user a valid access token was issued to, if that user still exists and
        is active; else a 401. Costs one single-column query."""
        claims = access_claims(self.settings, token)
        ensure_active(await self.is_active(claims.subject))
        return claims.subject

    async def current_user(self, token: str | None) -> User:
        """The whole user behind a valid access token, for routes that show or change it."""
        claims = access_claims(self.settings, token)
        user = await self.users.get(claims.subject)
        if user is None:  # deleted since the token was issued
            raise UnauthorizedError("Invalid token")
        ensure_active(user.is_active)
        return user

    async def is_active(self, user_id: uuid.UUID) -> bool | None:
        """The user's active flag, or None when there is no such user."""
        return await self.users.is_active(user_id)

    # --- Own profile and administration ------------------------------------------------------

    async def update_me(self, user: User, changes: UserUpdateMe) -> User:
        if "full_name" in changes.model_fields_set:
            user.full_name = changes.full_name
        # Both or neither: the schema refuses a new password without the current one.
        if changes.password is not None and changes.current_password is not None:
            valid, _ = await self.passwords.verify(changes.current_password, user.hashed_password)
            if not valid:
                raise AppError("The current password is incorrect")
            user.hashed_password = await self.passwords.hash(changes.password)
            # Whoever knew the old password is signed out: every refresh token of the user is
            # revoked (this client logs in again once its access token expires).
            await self.tokens.revoke_all_of_user(user.id, utc_now())
        await self.session.flush()
        return user

    async def list_users(self, page: PageParams) -> Page[UserRead]:
        users, total = await self.users.page(limit=page.limit, offset=page.offset)
        return Page(
            items=[UserRead.model_validate(user) for user in users],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    async def update_user(self, admin: User, user_id: uuid.UUID, changes: UserAdminUpdate) -> User:
        user = await self.users.get(user_id)
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
                await self.tokens.revoke_all_of_user(user.id, utc_now())
        await self.session.flush()
        return user

    async def ensure_admin(self, email: str, password: str) -> User:
        """Create an admin, or promote, re-activate and reset the password of an existing user."""
        hashed_password = await self.passwords.hash(password)
        user = await self.users.get_by_email(email)
        if user is None:
            return await self.users.add(
                User(email=email, hashed_password=hashed_password, role=Role.ADMIN)
            )
        user.role = Role.ADMIN
        user.is_active = True
        user.hashed_password = hashed_password
        await self.tokens.revoke_all_of_user(user.id, utc_now())
        await self.session.flush()
        return user

    # --- Helpers -----------------------------------------------------------------------------

    async def _stored_token(self, refresh_token: str) -> RefreshToken:
        claims = decode_token(self.settings, refresh_token, TokenType.REFRESH)
        stored = await self.tokens.get(claims.token_id)
        if stored is None:
            raise UnauthorizedError("Invalid token")
        return stored

    def _issue_tokens(self, user: User, *, family_id: uuid.UUID) -> TokenPair:
        now = utc_now()
        access_lifetime = timedelta(minutes=self.settings.access_token_expire_minutes)
        stored = RefreshToken(
            id=uuid.uuid4(),
            user_id=user.id,
            family_id=family_id,
            expires_at=now + timedelta(days=self.settings.refresh_token_expire_days),
        )
        self.tokens.add(stored)
        return TokenPair(
            access_token=create_token(
                self.settings,
                TokenType.ACCESS,
                user.id,
                expires_at=now + access_lifetime,
                role=user.role,
            ),
            refresh_token=create_token(
                self.settings,
                TokenType.REFRESH,
                user.id,
                expires_at=stored.expires_at,
                token_id=stored.id,
            ),
            expires_in=int(access_lifetime.total_seconds()),
        )


def access_claims(settings: AccountSettings, token: str | None) -> TokenClaims:
    """The claims of a valid access token, or a 401. Whether its user may still call is the
    caller's to check (ensure_active)."""
    if token is None:
        raise UnauthorizedError()
    return decode_token(settings, token, TokenType.ACCESS)


def ensure_active(is_active: bool | None) -> None:
    """A 401 for a caller whose account was deactivated, or deleted (None), since the token was
    issued: the same status as for no valid token, on every route."""
    if is_active is None:
        raise UnauthorizedError("Invalid token")
    if not is_active:
        raise UnauthorizedError("This account is disabled")


async def create_admin(
    database: Database, settings: AccountSettings, email: str, password: str
) -> User:
    """The `create-admin` command's work, in a transaction of its own. Bad input: ValueError."""
    try:
        data = UserCreate(email=email, password=password)
    except ValidationError as exc:
        # Say what is wrong without echoing the input: it may be the password.
        problems = (f"{error['loc'][0]}: {error['msg']}" for error in exc.errors())
        raise ValueError("; ".join(problems)) from None
    passwords = PasswordHasher(max_concurrent=1, max_waiting=0)
    async with database.session() as session, session.begin():
        return await AccountService(session, settings, passwords).ensure_admin(
            data.email, data.password
        )
