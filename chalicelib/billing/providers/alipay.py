"""Alipay 电脑网站支付 (alipay.trade.page.pay) on a computer and 手机网站支付
(alipay.trade.wap.pay) on a phone: a signed pay URL (GET to the gateway); the asynchronous
notification (form-encoded, RSA2 over the URL-decoded, key-sorted `k=v` pairs without
`sign` and `sign_type`, verified with *Alipay's* public key); synchronous refunds
(alipay.trade.refund), closes (alipay.trade.close) and queries (alipay.trade.query). The reply to a notification is the
body `success`.

Two signing rules, as Alipay defines them (python-alipay-sdk is the test oracle):
- a REQUEST we send is signed over every parameter but `sign` (`sign_type` included),
  sorted `k=v` joined by `&`, RSA2 (SHA256withRSA) with the merchant private key;
- a NOTIFICATION Alipay posts is signed over every parameter but `sign` and `sign_type`;
- an ANSWER is signed over the exact JSON text of its `<method>_response` member."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from chalicelib.billing.rules import product_for
from chalicelib.billing.states import Product, RefundStatus
from chalicelib.billing.providers.protocol import Notification, PayRequest, ProviderError, RefundRequest, RefundResult, SignatureError, passback_of, registration_hint
from chalicelib.billing.providers import crypto
from chalicelib.platform.clock import shanghai
from chalicelib.platform.money import parse_yuan, yuan

GATEWAY = "https://openapi.alipay.com/gateway.do"
PAID_STATES = ("TRADE_SUCCESS", "TRADE_FINISHED")


def _content(params: dict[str, str], unsigned: tuple[str, ...]) -> bytes:
    items = sorted((k, v) for k, v in params.items() if k not in unsigned and v != "")
    return "&".join(f"{k}={v}" for k, v in items).encode("utf-8")


def request_sign_content(params: dict[str, str]) -> bytes:
    """The string a request is signed over: sorted `k=v` of every non-empty parameter but
    `sign` (`sign_type` is signed)."""
    return _content(params, ("sign",))


def notification_sign_content(params: dict[str, str]) -> bytes:
    """The string a notification is signed over: sorted `k=v` without sign and sign_type."""
    return _content(params, ("sign", "sign_type"))


def verify_request(params: dict[str, str], merchant_public_key: str) -> bool:
    """What Alipay's gateway checks of a request (the dev gateway simulator uses it)."""
    return params.get("sign_type") == "RSA2" and bool(params.get("sign")) and crypto.verify(
        merchant_public_key, request_sign_content(params), params["sign"])


def sign_notification(params: dict[str, str], alipay_private_key: str) -> dict[str, str]:
    """What Alipay does before posting a notification (the dev simulator and the tests)."""
    signed = dict(params)
    signed["sign_type"] = "RSA2"
    signed["sign"] = crypto.sign(alipay_private_key, notification_sign_content(signed))
    return signed


def refund_biz(req: RefundRequest) -> dict[str, Any]:
    return {"trade_no": req.txn_id, "refund_amount": yuan(req.amount_fen),
            "refund_reason": req.reason[:256], "out_request_no": req.refund_id}


def signed_part(raw: str, key: str) -> str | None:
    """The exact JSON text of the top-level member `key` of an Alipay answer (what its
    `sign` covers), found by walking the top-level object with the JSON decoder itself, so
    braces or quotes inside string values cannot move its ends. None when it is absent or
    the answer is not one JSON object."""
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        while i < len(raw) and raw[i] in " \t\r\n":
            i += 1
        return i

    i = skip(0)
    if not raw.startswith("{", i):
        return None
    i = skip(i + 1)
    try:
        while i < len(raw) and raw[i] != "}":
            name, i = decoder.raw_decode(raw, i)
            i = skip(i)
            if not raw.startswith(":", i):
                return None
            start = skip(i + 1)
            _, end = decoder.raw_decode(raw, start)
            if name == key:
                return raw[start:end]
            i = skip(end)
            if raw.startswith(",", i):
                i = skip(i + 1)
    except json.JSONDecodeError:
        return None
    return None


class Alipay:
    name = "alipay"

    def __init__(self, keys: dict[str, Any]) -> None:
        self.keys = keys
        self.app_id = str(keys["app_id"])
        self.gateway = str(keys.get("gateway") or GATEWAY)

    # --- paying ----------------------------------------------------------------------
    def signed_request(self, method: str, biz: dict[str, Any], now: datetime,
                extra: dict[str, str] | None = None) -> dict[str, str]:
        params = {"app_id": self.app_id, "method": method, "format": "JSON", "charset": "utf-8",
                  "sign_type": "RSA2", "version": "1.0",
                  "timestamp": shanghai(now).strftime("%Y-%m-%d %H:%M:%S"),
                  "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
                  **(extra or {})}
        params["sign"] = crypto.sign(str(self.keys["merchant_private_key"]), request_sign_content(params))
        return params

    def pay_link(self, req: PayRequest, now: datetime) -> dict[str, Any]:
        """The signed gateway URL of page pay (computer) or wap pay (phone, or inside WeChat,
        where the page tells the trainee to open it in a browser)."""
        product = product_for("alipay", req.device)
        wap = product == Product.ALIPAY_WAP.value
        biz: dict[str, Any] = {
            "out_trade_no": req.order_id,
            "product_code": "QUICK_WAP_WAY" if wap else "FAST_INSTANT_TRADE_PAY",
            "total_amount": yuan(req.amount_fen), "subject": req.subject[:256],
            "time_expire": shanghai(req.expires_at).strftime("%Y-%m-%d %H:%M:%S")}
        if wap:
            biz["quit_url"] = req.return_url  # where 返回商家 on the phone cashier leads
        passback = passback_of(req.registration_id)
        if passback:  # Alipay wants it URL-encoded and posts it back as it was sent
            biz["passback_params"] = quote(passback, safe="")
        method = "alipay.trade.wap.pay" if wap else "alipay.trade.page.pay"
        params = self.signed_request(method, biz, now,
                                     {"notify_url": req.notify_url, "return_url": req.return_url})
        return {"product": product, "pay_url": f"{self.gateway}?{urlencode(params)}"}

    # --- notifications -----------------------------------------------------------------
    def parse_notification(self, body: bytes, headers: dict[str, str], now: datetime) -> Notification:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SignatureError("body is not UTF-8") from exc
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False)
        params: dict[str, str] = {}
        for k, v in pairs:
            if k in params:
                raise SignatureError(f"repeated parameter {k}")
            params[k] = v
        signature = params.get("sign")
        if not signature:
            raise SignatureError("unsigned")
        if params.get("sign_type", "RSA2") != "RSA2":
            raise SignatureError("sign_type is not RSA2")
        # Verify over a copy: the dict we keep is never mutated by verification.
        if not crypto.verify(str(self.keys["alipay_public_key"]),
                             notification_sign_content(dict(params)), signature):
            raise SignatureError("bad signature")
        status = params.get("trade_status", "")
        if params.get("refund_fee") and params.get("out_biz_no") and status not in PAID_STATES:
            event = "refund"
        else:
            event = "payment" if status in PAID_STATES else "ignored"
        return Notification(
            provider=self.name, event=event, txn_id=params.get("trade_no", ""),
            out_trade_no=params.get("out_trade_no"),
            amount_fen=parse_yuan(params.get("total_amount")),
            merchant_ok=params.get("app_id") == self.app_id,
            out_refund_no=params.get("out_biz_no"),
            payer={"buyer_id": params.get("buyer_id") or params.get("buyer_open_id"),
                   "buyer_logon_id": params.get("buyer_logon_id")},
            raw={k: v for k, v in params.items() if k != "sign"},
            registration_hint=registration_hint(unquote(params.get("passback_params") or "")))

    def close(self, order_id: str, now: datetime) -> bool:
        """alipay.trade.close: the old pay page can no longer take money. Best effort: a
        trade Alipay never created (ACQ.TRADE_NOT_EXIST) counts as closed."""
        answer = self._call("alipay.trade.close", {"out_trade_no": order_id}, now,
                            "alipay_trade_close_response")
        return answer.get("code") == "10000" or answer.get("sub_code") == "ACQ.TRADE_NOT_EXIST"

    def query(self, order_id: str, now: datetime) -> dict[str, Any]:
        """alipay.trade.query: what Alipay knows of the trade (`trade_status`, `trade_no`,
        `total_amount`), or its refusal (`code` other than 10000, e.g. ACQ.TRADE_NOT_EXIST)."""
        return self._call("alipay.trade.query", {"out_trade_no": order_id}, now,
                          "alipay_trade_query_response")

    def _call(self, method: str, biz: dict[str, Any], now: datetime, key: str) -> dict[str, Any]:
        """A signed gateway call; the answer's signature is checked (Alipay's public key)."""
        import urllib.request
        if not self.gateway.startswith("https://"):
            raise ProviderError("alipay gateway must be https")
        data = urlencode(self.signed_request(method, biz, now)).encode()
        request = urllib.request.Request(self.gateway, data=data, method="POST", headers={  # noqa: S310
            "Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=8) as resp:  # noqa: S310 - fixed https gateway
                raw = resp.read().decode("utf-8")
        except OSError as exc:
            raise ProviderError(f"alipay unreachable: {exc}") from exc
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise ProviderError("alipay answer is not JSON") from exc
        sign = doc.get("sign") if isinstance(doc, dict) else None
        part = signed_part(raw, key)
        answer = json.loads(part) if part is not None else None
        if part is None or not isinstance(answer, dict) or not sign:
            raise ProviderError("alipay answer unsigned")
        # The signature covers the exact JSON text of the response object.
        if not crypto.verify(str(self.keys["alipay_public_key"]), part.encode(), sign):
            raise ProviderError("alipay answer has a bad signature")
        return answer  # what was signed, never a member parsed from elsewhere

    # --- refunds -----------------------------------------------------------------------
    def refund(self, req: RefundRequest, now: datetime) -> RefundResult:
        """alipay.trade.refund answers synchronously; `out_request_no` makes a retry safe."""
        answer = self._call("alipay.trade.refund", refund_biz(req), now,
                            "alipay_trade_refund_response")
        if answer.get("code") == "10000" and answer.get("fund_change") in ("Y", None, "N"):
            return RefundResult(status=RefundStatus.DONE.value, provider_refund_id=answer.get("trade_no"))
        return RefundResult(status=RefundStatus.FAILED.value, detail=f"{answer.get('sub_code')}: {answer.get('sub_msg')}")
