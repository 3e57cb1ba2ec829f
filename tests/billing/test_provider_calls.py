"""The production calls of the adapters (no network): requests are signed with the merchant
key, answers are accepted only when signed by the provider."""
from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest

from chalicelib.billing.providers import ProviderError, RefundRequest, crypto
from chalicelib.billing.providers.alipay import Alipay, request_sign_content
from chalicelib.billing.providers.wechatpay import WechatPay, signed_message

NOW = datetime.fromisoformat("2026-04-05T02:00:00+00:00")


class _Resp(io.BytesIO):
    def __init__(self, body: bytes, headers: dict[str, str] | None = None) -> None:
        super().__init__(body)
        self.headers = headers or {}

    def __enter__(self) -> "_Resp":
        return self

    def __exit__(self, *a: Any) -> None:
        return None


def _refund() -> RefundRequest:
    return RefundRequest(refund_id="FABC", order_id="OABC", txn_id="2026TX", amount_fen=49000,
                         payment_amount_fen=49000, reason="退费", notify_url="https://x/webhooks/wechatpay")


def test_alipay_refund_call_signed_both_ways(keys: Any, monkeypatch: Any) -> None:
    cfg = {**keys["alipay"], "sandbox": False, "gateway": "https://openapi.alipay.com/gateway.do"}
    sent: dict[str, Any] = {}

    def answer(body: dict[str, Any], private_key: str) -> Any:
        def urlopen(request: Any, timeout: float) -> _Resp:
            sent.update(dict(parse_qsl(request.data.decode())))
            inner = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
            sign = crypto.sign(private_key, inner.encode())
            return _Resp(f'{{"alipay_trade_refund_response":{inner},"sign":"{sign}"}}'.encode())
        return urlopen
    ok = {"code": "10000", "msg": "Success", "trade_no": "2026TX", "fund_change": "Y"}
    monkeypatch.setattr("urllib.request.urlopen", answer(ok, keys["alipay"]["alipay_private_key"]))
    result = Alipay(cfg).refund(_refund(), NOW)
    assert result.status == "done"
    # Our request carried our merchant signature over the sorted parameters
    assert crypto.verify(keys["alipay"]["merchant_public_key"], request_sign_content(sent), sent["sign"])
    assert json.loads(sent["biz_content"])["out_request_no"] == "FABC"
    # An answer signed by anyone but Alipay is not believed
    monkeypatch.setattr("urllib.request.urlopen", answer(ok, keys["alipay"]["merchant_private_key"]))
    with pytest.raises(ProviderError):
        Alipay(cfg).refund(_refund(), NOW)
    refused = {"code": "40004", "sub_code": "ACQ.TRADE_HAS_CLOSE", "sub_msg": "交易已关闭"}
    monkeypatch.setattr("urllib.request.urlopen", answer(refused, keys["alipay"]["alipay_private_key"]))
    assert Alipay(cfg).refund(_refund(), NOW).status == "failed"


def test_alipay_pay_url_is_signed_by_the_merchant(keys: Any) -> None:
    from urllib.parse import urlparse

    from chalicelib.billing.providers import PayRequest
    cfg = {**keys["alipay"], "sandbox": False}
    url = Alipay(cfg).pay_link(PayRequest("OABC", 49000, "培训费", "https://x/n", "https://x/r", NOW), NOW)["pay_url"]
    params = dict(parse_qsl(urlparse(url).query))
    assert params["method"] == "alipay.trade.page.pay"
    assert json.loads(params["biz_content"])["total_amount"] == "490.00"
    assert crypto.verify(keys["alipay"]["merchant_public_key"], request_sign_content(params), params["sign"])


def test_wechat_refund_call_signed_both_ways(keys: Any, monkeypatch: Any) -> None:
    wx = keys["wechatpay"]
    cfg = {**wx, "sandbox": False}
    sent: dict[str, Any] = {}

    def answer(private_key: str, body: dict[str, Any]) -> Any:
        def urlopen(request: Any, timeout: float) -> _Resp:
            sent["auth"] = request.headers["Authorization"]
            sent["body"] = request.data
            raw = json.dumps(body).encode()
            ts, nonce = str(int(NOW.timestamp())), "n0nce"
            sig = crypto.sign(private_key, signed_message(ts, nonce, raw))
            return _Resp(raw, {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce,
                               "Wechatpay-Signature": sig, "Wechatpay-Serial": wx["platform_serial"]})
        return urlopen
    monkeypatch.setattr("urllib.request.urlopen", answer(wx["platform_private_key"],
                                                         {"status": "PROCESSING", "refund_id": "5030"}))
    result = WechatPay(cfg).refund(_refund(), NOW)
    assert (result.status, result.provider_refund_id) == ("processing", "5030")
    auth = sent["auth"]
    assert auth.startswith("WECHATPAY2-SHA256-RSA2048 ") and f'mchid="{wx["mchid"]}"' in auth
    fields = dict(part.split("=", 1) for part in auth.split(" ", 1)[1].split(","))
    message = (f"POST\n/v3/refund/domestic/refunds\n{fields['timestamp'].strip(chr(34))}\n"
               f"{fields['nonce_str'].strip(chr(34))}\n").encode() + sent["body"] + b"\n"
    assert crypto.verify(wx["merchant_public_key"], message, fields["signature"].strip('"'))
    assert json.loads(sent["body"])["amount"] == {"refund": 49000, "total": 49000, "currency": "CNY"}
    monkeypatch.setattr("urllib.request.urlopen", answer(wx["merchant_private_key"], {"status": "SUCCESS"}))
    with pytest.raises(ProviderError):
        WechatPay(cfg).refund(_refund(), NOW)
