"""Payment providers behind one interface. The core (services/payments.py) knows no
provider: it asks an adapter for a pay link, hands it a raw notification to verify, and
asks it to refund. Adapters are built lazily per process (`provider(deps, channel)`), so
the crypto imports stay off the cold-start path of routes that never pay."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class SignatureError(Exception):
    """The notification is not provably from the provider: reject, write nothing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderError(Exception):
    """The provider could not be reached or refused a call; a retry may help."""


@dataclass
class Notification:
    """A verified notification, reduced to what the core needs."""
    provider: str
    event: str  # "payment" | "refund" | "ignored" (e.g. WAIT_BUYER_PAY, TRADE_CLOSED)
    txn_id: str  # the provider's transaction id (payments) or refund id (refunds)
    out_trade_no: str | None
    amount_fen: int | None
    merchant_ok: bool  # app id / merchant id are ours
    out_refund_no: str | None = None
    succeeded: bool = True
    payer: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class RefundResult:
    status: str  # "done" | "processing" | "failed"
    provider_refund_id: str | None = None
    detail: str | None = None


@dataclass
class PayRequest:
    order_id: str
    amount_fen: int
    subject: str
    notify_url: str
    return_url: str
    expires_at: datetime


@dataclass
class RefundRequest:
    refund_id: str
    order_id: str
    txn_id: str
    amount_fen: int
    payment_amount_fen: int
    reason: str
    notify_url: str


class Provider(Protocol):
    name: str
    sandbox: bool

    def pay_link(self, req: PayRequest, now: datetime) -> dict[str, str]: ...

    def parse_notification(self, body: bytes, headers: dict[str, str], now: datetime) -> Notification: ...

    def refund(self, req: RefundRequest, now: datetime) -> RefundResult: ...

    def close(self, order_id: str, now: datetime) -> bool: ...


def provider(deps: Any, channel: str) -> Provider:
    """The per-process adapter for `channel` (alipay | wechatpay)."""
    def build(d: Any) -> Provider:
        from chalicelib.billing.providers.keys import load_keys
        keys = load_keys(d, channel)
        if channel == "alipay":
            from chalicelib.billing.providers.alipay import Alipay
            return Alipay(keys)
        if channel == "wechatpay":
            from chalicelib.billing.providers.wechatpay import WechatPay
            return WechatPay(keys)
        raise ValueError(f"unknown channel {channel}")
    return deps.adapter(f"provider:{channel}", build)  # type: ignore[no-any-return]
