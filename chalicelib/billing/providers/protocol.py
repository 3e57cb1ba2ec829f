"""The one interface every payment provider adapter speaks (the real ones, alipay.py and
wechatpay.py, and the dev stage's simulators): what the payment core hands an adapter and
what it gets back."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

# The registration an individual order pays, carried in the provider's pass-through field
# (Alipay `passback_params`, URL-encoded as Alipay requires; WeChat Pay `attach`), which the
# provider hands back unchanged in its payment notification. A hint only: the webhook reads
# the order and that registration in one request and credits only when the order itself
# names the same registration.
PASSBACK_PREFIX = "reg="
_REGISTRATION_ID = re.compile(r"[0-9A-Za-z]{1,64}")


def passback_of(registration_id: str | None) -> str | None:
    """The pass-through value of an order paying `registration_id` (None: a group order)."""
    return f"{PASSBACK_PREFIX}{registration_id}" if registration_id else None


def registration_hint(value: str | None) -> str | None:
    """What a notification's pass-through value names: the registration id after `reg=`,
    else the value itself (the core then finds it is not the order's); None when absent."""
    if not value:
        return None
    return value[len(PASSBACK_PREFIX):] if value.startswith(PASSBACK_PREFIX) else value


def is_registration_id(value: str | None) -> bool:
    """A value that can be a registration's key (safe to read by)."""
    return bool(value) and _REGISTRATION_ID.fullmatch(str(value)) is not None


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
    # The registration named by the pass-through field (passback_params / attach), if any
    registration_hint: str | None = None


@dataclass
class RefundResult:
    status: str  # a states.RefundStatus: done | processing | failed
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
    # Where the page that pays runs (states.Device): it chooses the provider's product
    # (rules.product_for): Alipay wap/page pay, WeChat Pay H5 / JSAPI / Native.
    device: str = "desktop"
    client_ip: str = ""  # the payer's IP (WeChat Pay H5 scene_info.payer_client_ip)
    openid: str | None = None  # the payer's openid for this appid (WeChat Pay JSAPI)
    # The registration an individual order pays: sent as passback_params / attach
    registration_id: str | None = None


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

    def pay_link(self, req: PayRequest, now: datetime) -> dict[str, Any]: ...

    def parse_notification(self, body: bytes, headers: dict[str, str], now: datetime) -> Notification: ...

    def refund(self, req: RefundRequest, now: datetime) -> RefundResult: ...

    def close(self, order_id: str, now: datetime) -> bool: ...


class WechatOAuth(Protocol):
    """WeChat's web OAuth (snsapi_base), which JSAPI pay needs for the payer's openid."""

    def oauth_url(self, redirect_uri: str, state: str) -> str: ...

    def openid_from_code(self, code: str, now: datetime) -> str: ...
