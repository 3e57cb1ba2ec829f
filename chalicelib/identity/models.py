"""Identity's request models and response schemas (the routes validate into the first;
the OpenAPI document is built from both)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints

from chalicelib.platform.schemas import Body, Out, Phone, Text


class SignupIn(Body):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=8, max_length=128)
    name: Text
    phone: Phone | None = None
    kind: Literal["personal", "unit"] = "personal"
    unit_name: Text | None = None
    credit_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=18)] | None = None


class LoginIn(Body):
    # Not EmailStr: it refuses special-use domains, so the dev accounts (admin@dev.local)
    # could not log in. Sign-up still validates addresses strictly.
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                            pattern=r"^[^@\s]+@[^@\s]+$")]
    password: str = Field(min_length=1, max_length=128)


class ConfirmIn(Body):
    email: EmailStr = Field(max_length=254)
    code: str = Field(min_length=1, max_length=16)


class TokensOut(BaseModel):
    id_token: str
    access_token: str
    refresh_token: str | None
    expires_in: int


class ProfileOut(Out):
    """An account as its owner sees it (sign-up's answer)."""
    user_id: str
    email: str
    name: str
    phone: str | None
    kind: Literal["personal", "unit", "staff"]
    unit_name: str | None
    credit_code: str | None
    created_at: str | None


class MeOut(ProfileOut):
    """`/me`: the profile, the caller's roles and the membership for the current edition
    (null when there is no current edition)."""
    roles: list[str]
    membership: dict[str, Any] | None
