"""Request and response bodies of /auth and /users."""

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    model_validator,
)

from ..core.text import Text
from .models import Role


def normalize_email(email: str) -> str:
    """One spelling per address, so uniqueness and login ignore case."""
    return email.strip().lower()


Email = Annotated[EmailStr, AfterValidator(normalize_email)]
Password = Annotated[Text, Field(min_length=8, max_length=128)]
FullName = Annotated[Text, Field(min_length=1, max_length=100)]


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
    current_password: Text | None = None

    @model_validator(mode="after")
    def _current_password_with_new_one(self) -> Self:
        if self.password is not None and self.current_password is None:
            raise ValueError("current_password is required to change the password")
        return self


class UserAdminUpdate(BaseModel):
    """Changes only an admin may make; omitted (or null) fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    # Strict: JSON true or false only (lax mode would take 0, 0.0, "no", "off"… as false).
    is_active: StrictBool | None = None


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the scheme name, not a secret)
    expires_in: int  # seconds until the access token expires


class RefreshRequest(BaseModel):
    refresh_token: Text


# FastAPI's OAuth2PasswordRequestForm would do, but its fields are plain `str` (NUL included).
class LoginForm(BaseModel):
    """The OAuth2 password flow's form (RFC 6749, 4.3.2): the e-mail goes in `username`."""

    grant_type: Literal["password"] | None = None
    username: Text
    password: Text = Field(json_schema_extra={"format": "password"})
