"""/auth (sign-up, sign-in, token rotation, sign-out) and /users (own profile, administration)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response, status

from ..authz.principal import Scope
from ..core.errors import error_responses
from ..core.pagination import Page, PaginationDep
from ..core.routing import ApiRoute
from .dependencies import AccountServiceDep, AdminUser, CurrentUser, get_current_user
from .limits import limit_sign_in
from .principal import require_scope
from .schemas import (
    LoginForm,
    RefreshRequest,
    TokenPair,
    UserAdminUpdate,
    UserCreate,
    UserRead,
    UserUpdateMe,
)

# The error statuses in the OpenAPI document: a router's are those of all its routes (503: no
# database, or too many password hashes at once), each route adds its own.
auth_router = APIRouter(
    prefix="/auth", tags=["auth"], route_class=ApiRoute, responses=error_responses(415, 422, 503)
)
users_router = APIRouter(
    prefix="/users", tags=["users"], route_class=ApiRoute, responses=error_responses(401, 503)
)


# Administration: an active account first (a deactivated one gets its 401 on every route), then the
# admin scope, which only the admin role holds (principal.py); the route's AdminUser also checks
# the role as stored, so a demotion takes effect before the admin's token expires. (FastAPI loads
# the user once per request for both.)
ADMIN = [Depends(get_current_user), require_scope(Scope.ADMIN)]


async def no_store(response: Response) -> None:
    """Tokens in a response: no cache (a browser's, a proxy's) may keep a copy (RFC 6749, 5.1)."""
    response.headers["Cache-Control"] = "no-store"


@auth_router.post("/register", status_code=status.HTTP_201_CREATED, responses=error_responses(409))
async def register(data: UserCreate, accounts: AccountServiceDep) -> UserRead:
    return UserRead.model_validate(await accounts.register(data))


@auth_router.post("/login", dependencies=[Depends(no_store)], responses=error_responses(401, 429))
async def login(
    request: Request, form: Annotated[LoginForm, Form()], accounts: AccountServiceDep
) -> TokenPair:
    """OAuth2 password flow: the e-mail goes in `username`."""
    await limit_sign_in(request, form.username)
    return await accounts.login(form.username, form.password)


@auth_router.post("/refresh", dependencies=[Depends(no_store)], responses=error_responses(401))
async def refresh(data: RefreshRequest, accounts: AccountServiceDep) -> TokenPair:
    return await accounts.refresh(data.refresh_token)


@auth_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(401))
async def logout(data: RefreshRequest, accounts: AccountServiceDep) -> None:
    await accounts.logout(data.refresh_token)


@users_router.get("/me")
async def read_me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@users_router.patch("/me", responses=error_responses(415, 422))
async def update_me(
    changes: UserUpdateMe, user: CurrentUser, accounts: AccountServiceDep
) -> UserRead:
    return UserRead.model_validate(await accounts.update_me(user, changes))


@users_router.get("", dependencies=ADMIN, responses=error_responses(403, 422))
async def list_users(
    _: AdminUser, page: PaginationDep, accounts: AccountServiceDep
) -> Page[UserRead]:
    return await accounts.list_users(page)


@users_router.patch(
    "/{user_id}", dependencies=ADMIN, responses=error_responses(403, 404, 409, 415, 422)
)
async def update_user(
    user_id: uuid.UUID, changes: UserAdminUpdate, admin: AdminUser, accounts: AccountServiceDep
) -> UserRead:
    return UserRead.model_validate(await accounts.update_user(admin, user_id, changes))
