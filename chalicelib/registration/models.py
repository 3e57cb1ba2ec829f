"""Registration's request and response models: the routes validate into the first and
answer with the second, and the OpenAPI document is built from both (so the two cannot
drift). State fields take their enum from the state machines."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, WithJsonSchema, model_serializer

from chalicelib.platform.schemas import Body, LongText, PageOut, PageQuery, Phone, Text
from chalicelib.registration.states import PAYMENT_STATUS, STATUS, TIER, PaymentStatus, RegistrationStatus, Tier

StatusField = Annotated[RegistrationStatus, WithJsonSchema(STATUS.schema())]
PaymentStatusField = Annotated[PaymentStatus, WithJsonSchema(PAYMENT_STATUS.schema())]
TierField = Annotated[Tier, WithJsonSchema(TIER.schema())]


# --- requests ---------------------------------------------------------------------------
class RegistrationIn(Body):
    unit_name: Text
    job_title: Text
    region: Text
    name: Text | None = None
    phone: Phone | None = None
    email: EmailStr | None = Field(default=None, max_length=254)
    # A verified unit account to link to (GET /units/verified); the trainee's own choice.
    unit_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class UnitLinkIn(Body):
    unit_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class RejectIn(Body):
    reason: LongText


class BulkApproveIn(Body):
    registration_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=200)


class ReviewQuery(PageQuery):
    status: StatusField = RegistrationStatus.PENDING
    edition_id: str | None = Field(default=None, max_length=32)


# --- responses --------------------------------------------------------------------------
class RegistrationOut(BaseModel):
    """A registration as its trainee and the reviewers see it (times in Asia/Shanghai)."""
    model_config = ConfigDict(extra="forbid")
    registration_id: str
    edition_id: str
    status: StatusField
    payment_status: PaymentStatusField
    tier: TierField
    fee_fen: int
    name: str
    unit_name: str
    job_title: str
    region: str
    phone: str
    email: str
    submitted_at: str
    reviewed_at: str | None
    reject_reason: str | None
    open_order_id: str | None
    paid_order_id: str | None
    paid_at: str | None
    enrolled_at: str | None
    unit_id: str | None = None  # the verified unit account it is linked to
    unit_linked_at: str | None = None


class RegistrationListOut(PageOut):
    registrations: list[RegistrationOut]


class BulkApproveResult(BaseModel):
    registration_id: str
    ok: bool
    code: str | None = None
    message: str | None = None

    @model_serializer(mode="wrap")
    def _only_failures_say_why(self, handler: Any) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        return {k: v for k, v in out.items() if v is not None}


class BulkApproveOut(BaseModel):
    results: list[BulkApproveResult]
    approved: int
