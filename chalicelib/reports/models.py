"""The reports' request and response models: the routes validate into the first and
answer with the second; the OpenAPI document is built from both (so they cannot drift)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from chalicelib.billing.states import OrderKind
from chalicelib.registration.states import PAYMENT_STATUS, STATUS, TIER, PaymentStatus, RegistrationStatus, Tier


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests ---------------------------------------------------------------------------
class SummaryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edition_id: str | None = Field(default=None, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edition_id: str | None = Field(default=None, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")


class OpenTransfersQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["group", "individual"] | None = None


# --- the admin's summary ----------------------------------------------------------------
class FunnelStep(_Out):
    step: str
    label: str
    count: int


class DayCount(_Out):
    date: str  # a Beijing date, 2026-04-05
    count: int


class ChannelIncome(_Out):
    """One channel's income: gross (收款总额), refunds done and pending, net (净收入)."""
    channel: str
    label: str
    orders: int = Field(description="入账订单数（含其后退费的）")
    gross_fen: int = Field(description="收款总额（毛收入）：入账订单金额之和，含其后退费的")
    refunded_orders: int = Field(description="已完成的退款笔数")
    refunded_fen: int = Field(description="已退款金额（学员申请的退费，含集体订单成员的份额）")
    refunding_fen: int = Field(description="退款处理中的金额（尚未退回）")
    net_fen: int = Field(description="净收入 = 收款总额 − 已退款")
    amount_fen: int = Field(description="同 net_fen（旧字段）")


class SummaryOut(_Out):
    edition_id: str
    title: str
    generated_at: str
    by_status: dict[str, int]
    funnel: list[FunnelStep]
    registrations_per_day: list[DayCount]
    income_by_channel: list[ChannelIncome]
    gross_total_fen: int
    refunded_total_fen: int
    refunding_total_fen: int
    net_total_fen: int
    income_total_fen: int = Field(description="同 net_total_fen（旧字段）")


# --- a unit's registrations -------------------------------------------------------------
class UnitRegistration(_Out):
    """A registration under the unit's name; `problem` says why it cannot be picked now."""
    registration_id: str
    name: str
    email: str
    job_title: str
    status: Annotated[RegistrationStatus, WithJsonSchema(STATUS.schema())]
    payment_status: Annotated[PaymentStatus, WithJsonSchema(PAYMENT_STATUS.schema())]
    fee_fen: int
    tier: Annotated[Tier, WithJsonSchema(TIER.schema())]
    open_order_id: str | None
    payable: bool
    problem: str | None
    problem_text: str | None


class UnitRegistrationsOut(_Out):
    unit_name: str
    credit_code: str | None
    registrations: list[UnitRegistration]


# --- finance's open transfers -----------------------------------------------------------
class OpenTransfer(_Out):
    order_id: str
    kind: Annotated[OrderKind, WithJsonSchema({"type": "string", "enum": [k.value for k in OrderKind]})]
    amount_fen: int
    memo: str | None
    unit_name: str | None
    payer_name: str | None
    members: int
    created_at: str
    review_due_at: str | None
    voucher_uploaded: bool
    member_list_uploaded: bool


class OpenTransfersOut(_Out):
    orders: list[OpenTransfer]
