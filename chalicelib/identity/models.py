"""Identity's request models and response schemas (the routes validate into the first;
the OpenAPI document is built from both)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints

from chalicelib.identity.unit_models import UnitStatusField
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
    # staff (admin, finance, reviewer): the authenticator app's 6 digits (identity/mfa.py)
    totp: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")] | None = None


LoginEmail = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                             pattern=r"^[^@\s]+@[^@\s]+$")]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=8,
                                        pattern=r"^[0-9]+$")]


class PhoneVerifyIn(Body):
    code: Code


class SmsLoginCodeIn(Body):
    phone: Phone


class SmsLoginIn(Body):
    phone: Phone
    code: Code


class SmsLoginCodeOut(Out):
    status: Literal["sent"]
    phone: str  # masked: 138****8000
    message: str
    expires_in: int
    resend_after: int


class ForgotIn(Body):
    email: LoginEmail
    channel: Literal["email", "sms"] = "email"


class ResetIn(Body):
    email: LoginEmail
    code: Code
    password: str = Field(min_length=8, max_length=128)


class RefreshIn(Body):
    refresh_token: str = Field(min_length=1, max_length=8192)


class PhoneCodeOut(Out):
    status: Literal["sent"]
    phone: str  # masked: 138****8000
    expires_in: int
    resend_after: int


class ForgotOut(Out):
    status: Literal["sent"]
    message: str
    expires_in: int


class DisabledOut(Out):
    user_id: str
    disabled: bool


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
    email_verified: bool
    phone_verified: bool


class MeUnitOut(Out):
    """A unit account's verification as `/me` shows it (the full record: GET /unit/account)."""
    status: UnitStatusField
    status_label: str
    explanation: str
    reject_reason: str | None


class MeOut(ProfileOut):
    """`/me`: the profile, the caller's roles and the membership for the current edition
    (null when there is no current edition); for a unit account its verification status
    (`pending` / `verified` / `rejected` with the reason), null for the others."""
    roles: list[str]
    membership: dict[str, Any] | None
    unit: MeUnitOut | None = None
