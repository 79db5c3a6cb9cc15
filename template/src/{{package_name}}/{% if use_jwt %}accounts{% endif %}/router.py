"""/auth (sign-up, sign-in, token rotation, sign-out) and /users (own profile, administration)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response, status

from ..core.pagination import Page, PaginationDep
from ..core.routing import ApiRoute
from .dependencies import AccountServiceDep, AdminUser, CurrentUser
from .schemas import (
    LoginForm,
    RefreshRequest,
    TokenPair,
    UserAdminUpdate,
    UserCreate,
    UserRead,
    UserUpdateMe,
)

auth_router = APIRouter(prefix="/auth", tags=["auth"], route_class=ApiRoute)
users_router = APIRouter(prefix="/users", tags=["users"], route_class=ApiRoute)


async def no_store(response: Response) -> None:
    """Tokens in a response: no cache (a browser's, a proxy's) may keep a copy (RFC 6749, 5.1)."""
    response.headers["Cache-Control"] = "no-store"


@auth_router.post("/register", status_code=status.HTTP_201_CREATED)
async def register(data: UserCreate, accounts: AccountServiceDep) -> UserRead:
    return UserRead.model_validate(await accounts.register(data))


@auth_router.post("/login", dependencies=[Depends(no_store)])
async def login(form: Annotated[LoginForm, Form()], accounts: AccountServiceDep) -> TokenPair:
    """OAuth2 password flow: the e-mail goes in `username`."""
    return await accounts.login(form.username, form.password)


@auth_router.post("/refresh", dependencies=[Depends(no_store)])
async def refresh(data: RefreshRequest, accounts: AccountServiceDep) -> TokenPair:
    return await accounts.refresh(data.refresh_token)


@auth_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(data: RefreshRequest, accounts: AccountServiceDep) -> None:
    await accounts.logout(data.refresh_token)


@users_router.get("/me")
async def read_me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@users_router.patch("/me")
async def update_me(
    changes: UserUpdateMe, user: CurrentUser, accounts: AccountServiceDep
) -> UserRead:
    return UserRead.model_validate(await accounts.update_me(user, changes))


@users_router.get("")
async def list_users(
    _: AdminUser, page: PaginationDep, accounts: AccountServiceDep
) -> Page[UserRead]:
    return await accounts.list_users(page)


@users_router.patch("/{user_id}")
async def update_user(
    user_id: uuid.UUID, changes: UserAdminUpdate, admin: AdminUser, accounts: AccountServiceDep
) -> UserRead:
    return UserRead.model_validate(await accounts.update_user(admin, user_id, changes))
