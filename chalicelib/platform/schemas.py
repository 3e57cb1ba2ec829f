"""Request and response models shared by routes (and the OpenAPI document)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=20,
                                         pattern=r"^[0-9+\- ()]+$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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


class RegistrationIn(Body):
    unit_name: Text
    job_title: Text
    region: Text
    name: Text | None = None
    phone: Phone | None = None
    email: EmailStr | None = Field(default=None, max_length=254)


class RejectIn(Body):
    reason: LongText


class BulkApproveIn(Body):
    registration_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=200)


class ReviewQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["pending", "approved", "rejected", "withdrawn"] = "pending"
    limit: int = Field(default=50, ge=1, le=200)
    next_token: str | None = Field(default=None, max_length=2000)
    edition_id: str | None = Field(default=None, max_length=32)


class MemberRow(Body):
    name: Text
    email: EmailStr | None = Field(default=None, max_length=254)
    phone: Phone | None = None
    member_no: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    dues_year: int = Field(ge=2000, le=2100)
    approved_at: str | None = Field(default=None, max_length=40)


class MembersIn(Body):
    members: list[MemberRow] = Field(min_length=1, max_length=5000)


class EditionWriteIn(BaseModel):
    """The edition document itself (validated by domain.edition.Edition) and options."""
    model_config = ConfigDict(extra="forbid")
    edition: dict
    make_current: bool = False
    expected_version: int | None = Field(default=None, ge=1)


class DevClockIn(Body):
    now: str | None = Field(default=None, max_length=40)
    reset: bool = False


class MailQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str | None = Field(default=None, max_length=254)
    limit: int = Field(default=100, ge=1, le=500)


class Ok(BaseModel):
    status: str


class TokensOut(BaseModel):
    id_token: str
    access_token: str
    refresh_token: str | None
    expires_in: int


REGISTRATION_OUT = {
    "type": "object",
    "required": ["registration_id", "status", "payment_status", "tier", "fee_fen"],
    "properties": {
        "registration_id": {"type": "string"}, "edition_id": {"type": "string"},
        "status": {"type": "string", "enum": ["pending", "approved", "rejected", "withdrawn"]},
        "payment_status": {"type": "string", "enum": ["unpaid", "paid", "refunded"]},
        "tier": {"type": "string", "enum": ["member", "non_member"]},
        "fee_fen": {"type": "integer"},
        "reject_reason": {"type": ["string", "null"]},
    },
}
REGISTRATION_LIST_OUT = {
    "type": "object", "required": ["registrations"],
    "properties": {"registrations": {"type": "array", "items": REGISTRATION_OUT},
                   "next_token": {"type": ["string", "null"]}},
}
