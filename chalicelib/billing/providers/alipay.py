"""Alipay 电脑网站支付 (alipay.trade.page.pay): a signed pay URL; the asynchronous
notification (form-encoded, RSA2 over the URL-decoded, key-sorted `k=v` pairs without
`sign` and `sign_type`, verified with *Alipay's* public key); synchronous refunds
(alipay.trade.refund). The reply to a notification is the body `success`."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from chalicelib.billing.states import RefundStatus
from chalicelib.billing.providers.protocol import Notification, PayRequest, ProviderError, RefundRequest, RefundResult, SignatureError
from chalicelib.billing.providers import crypto
from chalicelib.platform.clock import shanghai
from chalicelib.platform.money import parse_yuan, yuan

GATEWAY = "https://openapi.alipay.com/gateway.do"
PAID_STATES = ("TRADE_SUCCESS", "TRADE_FINISHED")


def sign_content(params: dict[str, str]) -> bytes:
    """The string Alipay signs: sorted `k=v`, without sign/sign_type and empty values."""
    items = sorted((k, v) for k, v in params.items() if k not in ("sign", "sign_type") and v != "")
    return "&".join(f"{k}={v}" for k, v in items).encode("utf-8")


def sign_notification(params: dict[str, str], alipay_private_key: str) -> dict[str, str]:
    """What Alipay does before posting a notification (the dev simulator and the tests)."""
    signed = dict(params)
    signed["sign_type"] = "RSA2"
    signed["sign"] = crypto.sign(alipay_private_key, sign_content(signed))
    return signed


class Alipay:
    name = "alipay"

    def __init__(self, keys: dict[str, Any]) -> None:
        self.keys = keys
        self.app_id = str(keys["app_id"])
        self.gateway = str(keys.get("gateway") or GATEWAY)

    # --- paying ----------------------------------------------------------------------
    def _signed(self, method: str, biz: dict[str, Any], now: datetime,
                extra: dict[str, str] | None = None) -> dict[str, str]:
        params = {"app_id": self.app_id, "method": method, "format": "JSON", "charset": "utf-8",
                  "sign_type": "RSA2", "version": "1.0",
                  "timestamp": shanghai(now).strftime("%Y-%m-%d %H:%M:%S"),
                  "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
                  **(extra or {})}
        params["sign"] = crypto.sign(str(self.keys["merchant_private_key"]), sign_content(params))
        return params

    def pay_link(self, req: PayRequest, now: datetime) -> dict[str, str]:
        biz = {"out_trade_no": req.order_id, "product_code": "FAST_INSTANT_TRADE_PAY",
               "total_amount": yuan(req.amount_fen), "subject": req.subject[:256],
               "time_expire": shanghai(req.expires_at).strftime("%Y-%m-%d %H:%M:%S")}
        params = self._signed("alipay.trade.page.pay", biz, now,
                              {"notify_url": req.notify_url, "return_url": req.return_url})
        return {"pay_url": f"{self.gateway}?{urlencode(params)}"}

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
        if not crypto.verify(str(self.keys["alipay_public_key"]), sign_content(dict(params)),
                             signature):
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
            raw={k: v for k, v in params.items() if k != "sign"})

    def close(self, order_id: str, now: datetime) -> bool:
        """alipay.trade.close: the old pay page can no longer take money. Best effort: a
        trade Alipay never created (ACQ.TRADE_NOT_EXIST) counts as closed."""
        answer = self._call("alipay.trade.close", {"out_trade_no": order_id}, now,
                            "alipay_trade_close_response")
        return answer.get("code") == "10000" or answer.get("sub_code") == "ACQ.TRADE_NOT_EXIST"

    def _call(self, method: str, biz: dict[str, Any], now: datetime, key: str) -> dict[str, Any]:
        """A signed gateway call; the answer's signature is checked (Alipay's public key)."""
        import urllib.request
        if not self.gateway.startswith("https://"):
            raise ProviderError("alipay gateway must be https")
        data = urlencode(self._signed(method, biz, now)).encode()
        request = urllib.request.Request(self.gateway, data=data, method="POST", headers={  # noqa: S310
            "Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=8) as resp:  # noqa: S310 - fixed https gateway
                raw = resp.read().decode("utf-8")
        except OSError as exc:
            raise ProviderError(f"alipay unreachable: {exc}") from exc
        doc = json.loads(raw)
        sign = doc.get("sign")
        start = raw.find(f'"{key}":')
        if start < 0 or not sign:
            raise ProviderError("alipay answer unsigned")
        body_start = raw.index("{", start + len(key) + 3)
        depth, end = 0, body_start
        for end in range(body_start, len(raw)):
            depth += {"{": 1, "}": -1}.get(raw[end], 0)
            if depth == 0:
                break
        # The signature covers the exact JSON text of the response object.
        if not crypto.verify(str(self.keys["alipay_public_key"]), raw[body_start:end + 1].encode(), sign):
            raise ProviderError("alipay answer has a bad signature")
        return dict(doc[key])

    # --- refunds -----------------------------------------------------------------------
    def refund(self, req: RefundRequest, now: datetime) -> RefundResult:
        """alipay.trade.refund answers synchronously; `out_request_no` makes a retry safe."""
        answer = self._call("alipay.trade.refund", {
            "trade_no": req.txn_id, "refund_amount": yuan(req.amount_fen),
            "refund_reason": req.reason[:256], "out_request_no": req.refund_id}, now,
            "alipay_trade_refund_response")
        if answer.get("code") == "10000" and answer.get("fund_change") in ("Y", None, "N"):
            return RefundResult(status=RefundStatus.DONE.value, provider_refund_id=answer.get("trade_no"))
        return RefundResult(status=RefundStatus.FAILED.value, detail=f"{answer.get('sub_code')}: {answer.get('sub_msg')}")
