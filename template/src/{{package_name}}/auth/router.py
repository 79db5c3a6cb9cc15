from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from ..core.config import SettingsDep
from ..db.session import SessionDep
from ..users import service as users_service
from ..users.schemas import UserCreate, UserRead
from . import service
from .schemas import RefreshRequest, TokenPair

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED)
async def register(data: UserCreate, session: SessionDep) -> UserRead:
    user = await users_service.register(session, data)
    return UserRead.model_validate(user)


@router.post("/login")
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenPair:
    """OAuth2 password flow: the e-mail goes in `username`."""
    return await service.login(session, settings, form.username, form.password)


@router.post("/refresh")
async def refresh(data: RefreshRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    return await service.refresh(session, settings, data.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(data: RefreshRequest, session: SessionDep, settings: SettingsDep) -> None:
    await service.logout(session, settings, data.refresh_token)
