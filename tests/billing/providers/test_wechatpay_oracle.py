"""wechatpayv3 (2.0.4) as the judge of our WeChat Pay API v3 signatures.

Requests (Native order, refund, close): the Authorization header signs
`METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n` with SHA256-RSA and the merchant key — the SDK's
`build_authorization` given our timestamp, nonce and body must produce our header, byte for
byte. Notifications: headers signed over `TIMESTAMP\\nNONCE\\nBODY\\n` with the platform key,
resource AES-256-GCM under the APIv3 key with its associated_data and nonce — one built
with the SDK's `rsa_sign` must credit our order through POST /webhooks/wechatpay, and our
sandbox's notifications must pass the SDK's `Core.callback` (verify and decrypt)."""
from __future__ import annotations

import base64
import io
import json
from datetime import datetime
from typing import Any

import pytest

wx_utils = pytest.importorskip("wechatpayv3.utils")
wx_core = pytest.importorskip("wechatpayv3.core")

from chalicelib.billing.providers import PayRequest, RefundRequest, crypto  # noqa: E402
from chalicelib.billing.providers.wechatpay import WechatPay, signed_message  # noqa: E402
from tests.billing.conftest import approved_registration, get_order  # noqa: E402

NOW = datetime.fromisoformat("2026-04-05T02:00:00+00:00")


class _Resp(io.BytesIO):
    def __init__(self, body: bytes, headers: dict[str, str]) -> None:
        super().__init__(body)
        self.headers = headers

    def __enter__(self) -> "_Resp":
        return self

    def __exit__(self, *a: Any) -> None:
        return None


def _core(wx: dict[str, Any]) -> Any:
    """The SDK's client, offline: WeChat Pay's public key (by its id) instead of downloaded
    platform certificates."""
    return wx_core.Core(mchid=wx["mchid"], cert_serial_no=wx["merchant_serial"],
                        private_key=wx["merchant_private_key"], apiv3_key=wx["apiv3_key"],
                        public_key=wx["platform_keys"][wx["platform_serial"]],
                        public_key_id=wx["platform_serial"])


def _answering(wx: dict[str, Any], answer: dict[str, Any], sent: list[Any]) -> Any:
    def urlopen(request: Any, timeout: float) -> _Resp:
        sent.append(request)
        raw = json.dumps(answer).encode() if answer else b""
        ts, nonce = str(int(NOW.timestamp())), "n0nce"
        sig = crypto.sign(wx["platform_private_key"], signed_message(ts, nonce, raw))
        return _Resp(raw, {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce,
                           "Wechatpay-Signature": sig, "Wechatpay-Serial": wx["platform_serial"],
                           "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"})
    return urlopen


def _refund() -> RefundRequest:
    return RefundRequest("FABC", "OABC", "4200TX", 49000, 49000, "退费", "https://x/webhooks/wechatpay")


CALLS = {
    "native": (lambda a: a.pay_link(PayRequest("OABC", 49000, "在职培训 培训费", "https://x/webhooks/wechatpay",
                                               "https://x/r", NOW), NOW),
               {"code_url": "weixin://wxpay/bizpayurl?pr=abc"}, "/v3/pay/transactions/native"),
    "refund": (lambda a: a.refund(_refund(), NOW), {"status": "PROCESSING", "refund_id": "5030"},
               "/v3/refund/domestic/refunds"),
    "close": (lambda a: a.close("OABC", NOW), {}, "/v3/pay/transactions/out-trade-no/OABC/close"),
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_authorization_header_equals_the_sdks(keys: Any, monkeypatch: Any, call: str) -> None:
    wx = keys["wechatpay"]
    invoke, answer, path = CALLS[call]
    sent: list[Any] = []
    monkeypatch.setattr("urllib.request.urlopen", _answering(wx, answer, sent))
    invoke(WechatPay({**wx, "sandbox": False}))
    [request] = sent
    assert request.get_method() == "POST" and request.full_url == "https://api.mch.weixin.qq.com" + path
    ours = request.headers["Authorization"]
    fields = dict(part.split("=", 1) for part in ours.split(" ", 1)[1].split(","))
    ts, nonce = fields["timestamp"].strip('"'), fields["nonce_str"].strip('"')
    # The SDK, at our timestamp with our nonce and body, writes the very same header
    monkeypatch.setattr(wx_utils.time, "time", lambda: int(ts))
    theirs = wx_utils.build_authorization(
        path, "POST", wx["mchid"], wx["merchant_serial"],
        wx_utils.load_private_key(wx["merchant_private_key"]),
        data=request.data.decode("utf-8"), nonce_str=nonce)
    assert ours == theirs
    # and Core.sign, the SDK's `\n`-joined rule, agrees on the signature
    sdk_sig = _core(wx).sign(["POST", path, ts, nonce, request.data.decode("utf-8")])
    assert fields["signature"].strip('"') == sdk_sig


def test_a_signature_over_another_message_is_not_the_sdks(keys: Any) -> None:
    """The oracle can tell: without the trailing newline (or with the host in URL) the
    signature differs from the SDK's."""
    wx = keys["wechatpay"]
    body = '{"mchid":"1900000001"}'
    sdk_sig = _core(wx).sign(["POST", "/v3/pay/transactions/out-trade-no/O1/close", "1775354400", "n", body])
    wrong = crypto.sign(wx["merchant_private_key"],
                        f"POST\n/v3/pay/transactions/out-trade-no/O1/close\n1775354400\nn\n{body}".encode())
    assert wrong != sdk_sig


def _sdk_signed_notification(wx: dict[str, Any], order: dict[str, Any], now: datetime) -> tuple[bytes, dict[str, str]]:
    """TRANSACTION.SUCCESS as WeChat Pay posts it: resource sealed with AES-256-GCM (apiv3
    key, associated_data, nonce; `cryptography` directly, not our helper), headers signed
    with the SDK's rsa_sign over `timestamp\\nnonce\\nbody\\n` with the platform key."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    resource = {"appid": wx["appid"], "mchid": wx["mchid"], "out_trade_no": order["order_id"],
                "transaction_id": "4200002026040500000000000001", "trade_type": "NATIVE",
                "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
                "success_time": "2026-04-05T10:00:00+08:00", "payer": {"openid": "o-oracle"},
                "amount": {"total": order["amount_fen"], "payer_total": order["amount_fen"],
                           "currency": "CNY", "payer_currency": "CNY"}}
    nonce, associated = "a1b2c3d4e5f6", "transaction"
    sealed = AESGCM(wx["apiv3_key"].encode()).encrypt(
        nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), associated.encode())
    body = json.dumps({"id": "EV-oracle-1", "create_time": "2026-04-05T10:00:00+08:00",
                       "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
                       "summary": "支付成功",
                       "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                                    "ciphertext": base64.b64encode(sealed).decode(),
                                    "associated_data": associated, "nonce": nonce}},
                      ensure_ascii=False)
    ts, header_nonce = str(int(now.timestamp())), "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
    sig = wx_utils.rsa_sign(wx_utils.load_private_key(wx["platform_private_key"]),
                            f"{ts}\n{header_nonce}\n{body}\n")
    headers = {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": header_nonce,
               "Wechatpay-Signature": sig, "Wechatpay-Serial": wx["platform_serial"],
               "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
               "Content-Type": "application/json"}
    assert _core(wx).callback(headers, body)["resource"]["out_trade_no"] == order["order_id"]
    return body.encode(), headers


def test_sdk_signed_notification_is_accepted_by_our_webhook(api: Any, pdeps: Any, clock: Any,
                                                            keys: Any) -> None:
    from chalicelib.billing import orders
    acc, rid = approved_registration(pdeps, clock.now())
    order = orders.create_order(pdeps, acc.user_sub, rid, "wechatpay", False, clock.now())
    body, headers = _sdk_signed_notification(keys["wechatpay"], order, clock.now())
    r = api.call("POST", "/webhooks/wechatpay", body=body, headers=headers)
    assert r.status_code in (200, 204), r.body  # WeChat Pay takes 200 or 204 as acknowledged
    assert get_order(order["order_id"]).status == "paid"
    # the same notification with another associated_data does not decrypt: not credited twice,
    # and a fresh order is not paid by it
    order2_acc, rid2 = approved_registration(pdeps, clock.now(), name="闻一")
    order2 = orders.create_order(pdeps, order2_acc.user_sub, rid2, "wechatpay", False, clock.now())
    body2, headers2 = _sdk_signed_notification(keys["wechatpay"], order2, clock.now())
    doc = json.loads(body2)
    doc["resource"]["associated_data"] = "refund"
    tampered = json.dumps(doc, ensure_ascii=False)
    headers2["Wechatpay-Signature"] = wx_utils.rsa_sign(
        wx_utils.load_private_key(keys["wechatpay"]["platform_private_key"]),
        f"{headers2['Wechatpay-Timestamp']}\n{headers2['Wechatpay-Nonce']}\n{tampered}\n")
    assert _core(keys["wechatpay"]).callback(headers2, tampered) is None  # the SDK refuses it too
    r = api.call("POST", "/webhooks/wechatpay", body=tampered.encode(), headers=headers2)
    assert r.status_code >= 400
    assert get_order(order2["order_id"]).status == "open"


def test_our_sandbox_notifications_pass_the_sdks_check(keys: Any) -> None:
    from chalicelib.dev.sandbox import wechat_payment_notification
    wx = keys["wechatpay"]
    body, headers = wechat_payment_notification(wx, "OABC", 49000, "4200TX", NOW)
    data = _core(wx).callback(headers, body)
    assert data["event_type"] == "TRANSACTION.SUCCESS"
    assert data["resource"]["out_trade_no"] == "OABC" and data["resource"]["amount"]["total"] == 49000
