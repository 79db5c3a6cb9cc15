"""Request and response bodies of /auth and /users."""

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from .models import Role


def normalize_email(email: str) -> str:
    """One spelling per address, so uniqueness and login ignore case."""
    return email.strip().lower()


Email = Annotated[EmailStr, AfterValidator(normalize_email)]
Password = Annotated[str, Field(min_length=8, max_length=128)]
FullName = Annotated[str, Field(min_length=1, max_length=100)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    full_name: FullName | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str | None
    role: Role
    is_active: bool
    created_at: datetime
    updated_at: datetime


class UserUpdateMe(BaseModel):
    """Own profile changes; a new password needs the current one."""

    model_config = ConfigDict(extra="forbid")  # e.g. `role` is refused, not silently ignored

    full_name: FullName | None = None
    password: Password | None = None
    current_password: str | None = None

    @model_validator(mode="after")
    def _current_password_with_new_one(self) -> Self:
        if self.password is not None and self.current_password is None:
            raise ValueError("current_password is required to change the password")
        return self


class UserAdminUpdate(BaseModel):
    """Changes only an admin may make; omitted (or null) fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    is_active: bool | None = None


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the scheme name, not a secret)
    expires_in: int  # seconds until the access token expires


class RefreshRequest(BaseModel):
    refresh_token: str
