import uuid

from fastapi import APIRouter

from ..auth.dependencies import AdminUser, CurrentUser
from ..core.pagination import Page, PaginationDep
from ..db.session import SessionDep
from . import service
from .schemas import UserAdminUpdate, UserRead, UserUpdateMe

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me")
async def read_me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.patch("/me")
async def update_me(changes: UserUpdateMe, user: CurrentUser, session: SessionDep) -> UserRead:
    return UserRead.model_validate(await service.update_me(session, user, changes))


@router.get("")
async def list_users(_: AdminUser, page: PaginationDep, session: SessionDep) -> Page[UserRead]:
    return await service.list_users(session, page)


@router.patch("/{user_id}")
async def update_user(
    user_id: uuid.UUID, changes: UserAdminUpdate, admin: AdminUser, session: SessionDep
) -> UserRead:
    return UserRead.model_validate(await service.update_user(session, admin, user_id, changes))
