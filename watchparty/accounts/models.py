"""The request bodies of the account routes (validated with pydantic, errors name the field),
and what they answer."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from watchparty.accounts.passwords import MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH
from watchparty.core.fields import CleanText, described

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{2,31}")


def _username(value: str) -> str:
    if not USERNAME.fullmatch(value):
        raise ValueError(
            "must be 3 to 32 characters: letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return value


def _password(value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(value.encode()) > MAX_PASSWORD_BYTES:
        # bcrypt reads 72 bytes at most; rather than ignore the rest, say so.
        raise ValueError(f"must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8")
    return value


def _avatar(value: str) -> str:
    url = urlsplit(value)
    if url.scheme != "https" or not url.hostname:
        raise ValueError("must be an https:// URL")
    return value


Username = Annotated[
    str, Field(json_schema_extra={"pattern": f"^{USERNAME.pattern}$"}), AfterValidator(_username)
]
NewPassword = Annotated[
    str,
    Field(json_schema_extra={"minLength": MIN_PASSWORD_LENGTH}),
    described("bcrypt-password"),
    AfterValidator(_password),
]
# A password being checked: bounded so a huge one costs nothing before bcrypt refuses it.
GivenPassword = Annotated[str, Field(min_length=1, max_length=1024)]
AvatarUrl = Annotated[
    CleanText, Field(max_length=2048), described("https-url"), AfterValidator(_avatar)
]


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class Register(_Body):
    username: Username
    email: Annotated[EmailStr, Field(max_length=254)]
    password: NewPassword


class Login(_Body):
    # Exactly one of email and username, as a schema says it (the validator below checks it).
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["email"], "properties": {"email": {"type": "string"}}},
                {"required": ["username"], "properties": {"username": {"type": "string"}}},
            ]
        }
    )
    email: Annotated[str, Field(min_length=1, max_length=254)] | None = None
    username: Annotated[str, Field(min_length=1, max_length=254)] | None = None
    password: GivenPassword

    @model_validator(mode="after")
    def _one_identifier(self) -> Login:
        if (self.email is None) == (self.username is None):
            raise ValueError("send either email or username, not both")
        return self


class Logout(_Body):
    everywhere: bool = False


class UpdateMe(_Body):
    username: Username | None = None
    avatar_url: AvatarUrl | None = None


class ChangePassword(_Body):
    current_password: GivenPassword
    new_password: NewPassword


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserOut(_Out):
    """The account (never its password's hash)."""

    id: str
    username: str
    email: str
    avatar_url: str | None
    plan: str
    created_at: str


class SignedIn(_Out):
    """Signed in: the account and the session (also set as cookies)."""

    user: UserOut
    token: str = Field(description="send it as `Authorization: Bearer <token>`")
    csrf_token: str = Field(description="a cookie session's changes send it in X-CSRF-Token")
    expires_in: int = Field(description="seconds")
