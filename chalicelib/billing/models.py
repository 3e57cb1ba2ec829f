"""Billing's request and response models: the routes validate into the first and answer
with the second, and the OpenAPI document is built from both (so they cannot drift). State
fields take their enums from the state tables (states.py). A response field that a view
leaves out (a pay link of a paid order, the next page when there is none) stays out of
the JSON; one it gives as null is sent as null."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, WithJsonSchema, model_serializer

from chalicelib.billing.states import ORDER_STATUS, PAYMENT_DISPOSITION, REFUND_STATUS, Channel, OrderKind, OrderStatus, PaymentDisposition, RefundKind, RefundStatus
from chalicelib.platform.clock import iso
from chalicelib.platform.schemas import Body, LongText, PageQuery, label_fields
from chalicelib.platform.schemas import PresignedPostOut as _PresignedPostOut

label_fields(device="付款设备", wechat_code="微信授权码", paid_on="汇款日期")

OrderStatusField = Annotated[OrderStatus, WithJsonSchema(ORDER_STATUS.schema())]
RefundStatusField = Annotated[RefundStatus, WithJsonSchema(REFUND_STATUS.schema())]
DispositionField = Annotated[PaymentDisposition, WithJsonSchema(PAYMENT_DISPOSITION.schema())]
# A time the API shows in Asia/Shanghai ("2026-04-05T10:05:00+08:00").
Instant = Annotated[datetime, PlainSerializer(iso, return_type=str), WithJsonSchema({"type": "string"})]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40,
                                      pattern=r"^[A-Za-z0-9_-]+$")]
Member = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
Serial = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


# --- requests ---------------------------------------------------------------------------
class OrderIn(Body):
    registration_id: Id
    channel: Literal["alipay", "wechatpay", "bank_transfer"]
    official_card: bool = False
    # Where the paying page runs (states.Device): chooses the provider's product; old
    # clients that do not say pay as on a computer.
    device: Literal["desktop", "phone", "wechat"] = "desktop"
    # Inside WeChat: the `code` WeChat's web OAuth came back with (JSAPI needs the openid).
    wechat_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128,
                                                  pattern=r"^[A-Za-z0-9_-]+$")] | None = None


class TransferClaimIn(Body):
    """我已汇款: the day the trainee sent the money (Beijing date) and the amount sent."""
    paid_on: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{4}-\d{2}-\d{2}$")]
    amount_fen: int = Field(gt=0, le=100_000_000)


class ConfirmTransferIn(Body):
    line_id: Id | None = None
    bank_serial: Serial | None = None
    amount_fen: int | None = Field(default=None, gt=0, le=100_000_000)


class GroupOrderIn(Body):
    members: list[Member] = Field(min_length=1, max_length=500)


class ReleaseIn(Body):
    registration_id: Id


class UploadIn(Body):
    kind: Literal["voucher", "member_list"]
    content_type: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    size_bytes: int = Field(gt=0, le=10 * 1024 * 1024)


class RefundIn(Body):
    order_id: Id
    reason: Annotated[LongText, StringConstraints(max_length=200)]  # the boundary's text rules


class CompleteRefundIn(Body):
    bank_serial: Serial


class RefundQuery(PageQuery):
    status: RefundStatusField = RefundStatus.REQUESTED


# --- responses --------------------------------------------------------------------------
class Out(BaseModel):
    """A response: exactly the fields the view gave (extra ones are a bug)."""
    model_config = ConfigDict(extra="forbid")

    @model_serializer(mode="wrap")
    def _as_given(self, handler: Any) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        return {k: v for k, v in out.items() if k in self.model_fields_set}


class TransferClaim(Out):
    """What the trainee said they sent (我已汇款); finance confirms against the statement."""
    paid_on: str
    amount_fen: int
    claimed_at: str


class BankInstructions(Out):
    """Where and how to transfer: the edition's account and the order's memo."""
    account_name: str
    bank_name: str
    account_no: str
    bank_code: str
    memo: str | None
    amount_fen: int
    review_due_at: str | None
    finance_email: str


class OrderOut(Out):
    """An order (times in Asia/Shanghai); `pay_url` / `code_url` while an online order is
    open, `bank_instructions` for a bank transfer."""
    order_id: str
    edition_id: str
    kind: OrderKind
    channel: Channel
    channel_label: str
    status: OrderStatusField
    amount_fen: int
    official_card: bool
    registration_ids: list[str]
    unit_name: str
    payer_name: str
    memo: str | None
    created_at: str | None
    paid_at: str | None
    closed_at: str | None
    close_reason: str | None
    review_due_at: str | None
    voucher_uploaded: bool
    member_list_uploaded: bool
    product: str | None = None  # states.Product of an open online order
    pay_url: str | None = None
    code_url: str | None = None
    h5_url: str | None = None
    jsapi_params: dict[str, str] | None = None  # WeixinJSBridge getBrandWCPayRequest
    bridge_script: str | None = None  # dev/test only: the simulated WeixinJSBridge
    bank_instructions: BankInstructions | None = None
    transfer_claim: TransferClaim | None = None


class PaymentSummary(Out):
    payment_id: str
    channel: Channel
    amount_fen: int
    disposition: DispositionField
    received_at: str | None


class RefundSummary(Out):
    refund_id: str
    status: RefundStatusField
    kind: RefundKind
    amount_fen: int
    requested_at: str | None
    completed_at: str | None


class OrderDetailOut(OrderOut):
    """An order with the money that arrived for it and the refunds recorded."""
    payments: list[PaymentSummary]
    refunds: list[RefundSummary]


class TransferConfirmedOut(OrderOut):
    """The order after finance's confirmation: `result` says what the money did
    (`credited`, `already`, or `duplicate` / `unapproved` / `late`: refunded)."""
    result: str
    payment_id: str | None


class OrderListOut(Out):
    """The one list shape: `next_token` only when there is more."""
    orders: list[OrderOut]
    next_token: str | None = None


class NotificationOut(Out):
    """A provider notification kept for finance (unknown order, amount mismatch, ...)."""
    notification_id: str
    provider: str
    provider_txn_id: str
    out_trade_no: str | None
    amount_fen: int | None
    problem: str
    reason: str  # the problem in Chinese, for finance
    detail: str | None
    received_at: str | None
    deliveries: int
    data: dict[str, Any]


class NotificationListOut(Out):
    notifications: list[NotificationOut]
    next_token: str | None = None


class LeftGroupOut(Out):
    """A trainee left an unpaid group order (its total dropped by their fee)."""
    order_id: str
    registration_id: str
    left: bool


class PresignedPostOut(_PresignedPostOut):
    """A unit's voucher or member-list upload form, and whom finance is."""
    finance_email: str


class FileLink(Out):
    url: str
    expires_at: Instant


class UploadLinksOut(Out):
    order_id: str
    voucher: FileLink | None
    member_list: FileLink | None


class RefundOut(Out):
    refund_id: str
    order_id: str
    payment_id: str
    registration_id: str | None
    channel: Channel
    amount_fen: int
    kind: RefundKind
    status: RefundStatusField
    reason: str
    requested_at: str | None
    completed_at: str | None
    bank_serial: str | None
    failure: str | None


class RefundListOut(Out):
    refunds: list[RefundOut]
    next_token: str | None = None


# --- bank statements -----------------------------------------------------------------------
class LineMatch(Out):
    line_id: str
    order_id: str
    confidence: Literal["high", "medium"]
    # the line as the bank printed it
    bank_serial: str | None = None
    trade_date: str | None = None
    payer_name: str | None = None
    payer_account: str | None = None
    amount_fen: int | None = None
    memo: str | None = None


class Candidate(Out):
    order_id: str
    score: int | None


class AmbiguousLine(Out):
    """A line with more than one possible order (or proposed twice for one order)."""
    line_id: str
    candidates: list[Candidate]
    amount_fen: int | None = None
    memo: str | None = None
    payer_name: str | None = None
    reason: Literal["same_order_twice"] | None = None
    bank_serial: str | None = None
    trade_date: str | None = None
    payer_account: str | None = None


class UnmatchedLine(Out):
    line_id: str
    amount_fen: int
    memo: str
    payer_name: str
    bank_serial: str | None = None
    trade_date: str | None = None
    payer_account: str | None = None


class CreditedLine(Out):
    """A line that already paid an order (a re-import): never matched again."""
    line_id: str
    bank_serial: str
    order_id: str | None


class DuplicateLine(Out):
    """A bank serial that stood on more than one row of the statement: one line."""
    line_id: str
    bank_serial: str
    rows: list[int]


class StatementOut(Out):
    matches: list[LineMatch]
    ambiguous: list[AmbiguousLine]
    unmatched: list[UnmatchedLine]
    already_credited: list[CreditedLine]
    duplicates: list[DuplicateLine] = []
    imported: int
    known: int
