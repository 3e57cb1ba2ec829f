"""Request and response models of unit verification, unit invitations and the verified
units a trainee may pick (the routes validate into the first; OpenAPI is built from both)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints, WithJsonSchema

from chalicelib.identity.states import UNIT_STATUS, UnitStatus
from chalicelib.platform.schemas import Body, LinkOut, LongText, Out, PageOut, PageQuery, PresignedPostOut, Text, label_fields

label_fields(content_type="文件类型", size_bytes="文件大小", emails="邮箱列表", unit_id="单位账号")

UnitStatusField = Annotated[UnitStatus, WithJsonSchema(UNIT_STATUS.schema())]


class LetterUploadIn(Body):
    content_type: Literal["application/pdf", "image/jpeg", "image/png"]
    size_bytes: int = Field(gt=0, le=10 * 1024 * 1024)


class UnitRejectIn(Body):
    reason: Annotated[LongText, StringConstraints(max_length=200)]


class InviteIn(Body):
    emails: list[EmailStr] = Field(min_length=1, max_length=50)


class UnitQuery(PageQuery):
    status: UnitStatusField = UnitStatus.PENDING


class VerifiedUnitsQuery(Body):
    unit_name: Text


class UnitOut(Out):
    """A unit account's verification as the unit sees it, with what it means."""
    unit_id: str
    unit_name: str
    credit_code: str
    status: UnitStatusField
    status_label: str
    explanation: str
    letter_uploaded: bool
    letter_type: str | None
    letter_at: str | None
    submitted_at: str | None
    reviewed_at: str | None
    reject_reason: str | None


class StaffUnitOut(Out):
    """A unit account as staff review it: a short-lived link to its letter when uploaded."""
    unit_id: str
    unit_name: str
    credit_code: str
    credit_code_valid: bool
    email: str
    status: UnitStatusField
    status_label: str
    letter_uploaded: bool
    letter_type: str | None
    letter_at: str | None
    letter: LinkOut | None
    submitted_at: str | None
    reviewed_at: str | None
    reviewed_by: str | None
    reject_reason: str | None


class UnitListOut(PageOut):
    units: list[StaffUnitOut]


class LetterUploadOut(PresignedPostOut):
    """Where the unit uploads its authorization letter (单位介绍信/授权书)."""


class InviteOut(Out):
    status: Literal["sent"]
    invited: int


class VerifiedUnit(Out):
    unit_id: str
    unit_name: str


class VerifiedUnitsOut(PageOut):
    units: list[VerifiedUnit]


class InvitationOut(Out):
    unit_id: str
    unit_name: str
    invited_at: str | None


class InvitationsOut(PageOut):
    invitations: list[InvitationOut]
