"""Orders, payments and refunds: their states, the allowed moves, and the memo rules.
Plain data and pure functions; no storage, no clock."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.platform.text import normalise_name


class Channel(StrEnum):
    ALIPAY = "alipay"
    WECHATPAY = "wechatpay"
    BANK_TRANSFER = "bank_transfer"


ONLINE = (Channel.ALIPAY.value, Channel.WECHATPAY.value)
CHANNEL_LABELS = {"alipay": "支付宝", "wechatpay": "微信支付", "bank_transfer": "银行转账"}


class OrderKind(StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"


class OrderStatus(StrEnum):
    RESERVING = "reserving"  # a large group order while its members are being reserved
    OPEN = "open"  # waiting for money
    PAID = "paid"  # a confirmed payment credited it
    CLOSED = "closed"  # given up unpaid (channel switched, cancelled, window passed)
    REFUNDING = "refunding"  # the trainee asked for the money back; not yet returned
    REFUNDED = "refunded"  # the money went back


ORDER_ALLOWED: dict[OrderStatus, set[OrderStatus]] = {
    OrderStatus.RESERVING: {OrderStatus.OPEN, OrderStatus.CLOSED},
    OrderStatus.OPEN: {OrderStatus.PAID, OrderStatus.CLOSED},
    # A payment that still arrives for a closed order of an unpaid, approved registration is
    # credited (the trainee paid the old QR code); otherwise it is refunded by its route.
    OrderStatus.CLOSED: {OrderStatus.PAID},
    OrderStatus.PAID: {OrderStatus.REFUNDING},
    OrderStatus.REFUNDING: {OrderStatus.REFUNDED},
    OrderStatus.REFUNDED: set(),
}


class PaymentDisposition(StrEnum):
    """What a confirmed payment did: credited its order, or is money to send back."""
    CREDITED = "credited"
    DUPLICATE = "duplicate"  # the registration was already paid: refunded automatically
    UNAPPROVED = "unapproved"  # the registration is not approved: refunded automatically
    LATE = "late"  # arrived after the payment window: refunded automatically


class RefundStatus(StrEnum):
    REQUESTED = "requested"  # recorded before any money moves
    PROCESSING = "processing"  # the provider accepted it; its notification completes it
    DONE = "done"
    FAILED = "failed"


REFUND_ALLOWED: dict[RefundStatus, set[RefundStatus]] = {
    RefundStatus.REQUESTED: {RefundStatus.PROCESSING, RefundStatus.DONE, RefundStatus.FAILED},
    RefundStatus.PROCESSING: {RefundStatus.DONE, RefundStatus.FAILED},
    # A failed provider refund goes back to finance, who may complete it by bank transfer.
    RefundStatus.FAILED: {RefundStatus.DONE},
    RefundStatus.DONE: set(),
}


class RefundKind(StrEnum):
    REQUEST = "request"  # the trainee asked before course start
    DUPLICATE = "duplicate"  # automatic: a second payment for a paid registration
    UNAPPROVED = "unapproved"  # automatic: money for a registration that is not approved
    LATE = "late"  # automatic: money after the payment window closed


def can_move_order(src: str, dst: str) -> bool:
    return OrderStatus(dst) in ORDER_ALLOWED[OrderStatus(src)]


def can_move_refund(src: str, dst: str) -> bool:
    return RefundStatus(dst) in REFUND_ALLOWED[RefundStatus(src)]


def individual_memo(prefix: str, unit_name: str, person: str) -> str:
    """The transfer memo of an individual: 在职培训+单位名称+姓名."""
    return f"{prefix}+{unit_name.strip()}+{person.strip()}"


def group_memo(prefix: str, unit_name: str) -> str:
    """The transfer memo of a group remittance: 在职培训+单位名称."""
    return f"{prefix}+{unit_name.strip()}"


def memo_key(text: str) -> str:
    """A memo as compared: full-width folded, no spaces, no plus signs or separators."""
    return "".join(ch for ch in normalise_name(text) if ch not in "+-_/|,.;:()[]·、，。；：（）")


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
