"""The dev/test simulators check the calls our adapters would send as the providers'
gateways check a REQUEST: a request signed by another key, or by the notification rule
(Alipay: without sign_type), is refused there as it would be in production."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from chalicelib.billing.providers import ProviderError, RefundRequest, crypto
from chalicelib.billing.providers.alipay import Alipay, notification_sign_content, verify_request
from chalicelib.billing.providers.wechatpay import WechatPay, request_message, verify_authorization

NOW = datetime.fromisoformat("2026-04-05T02:00:00+00:00")


def _refund() -> RefundRequest:
    return RefundRequest("FABC", "OABC", "2026TX", 49000, 49000, "退费", "https://x/webhooks/wechatpay")


def test_alipay_gateway_rule_takes_the_request_rule_only(keys: Any) -> None:
    ali = keys["alipay"]
    params = Alipay(ali).signed_request("alipay.trade.close", {"out_trade_no": "OABC"}, NOW)
    assert verify_request(params, ali["merchant_public_key"])
    old = {**params, "sign": crypto.sign(ali["merchant_private_key"], notification_sign_content(params))}
    assert not verify_request(old, ali["merchant_public_key"])
    assert not verify_request({**params, "sign_type": "RSA"}, ali["merchant_public_key"])
    assert not verify_request(params, ali["alipay_public_key"])


def test_wechat_gateway_rule(keys: Any) -> None:
    wx = keys["wechatpay"]
    path = "/v3/pay/transactions/out-trade-no/OABC/close"
    body, auth = WechatPay(wx).signed_request("POST", path, {"mchid": wx["mchid"]}, NOW)
    args = (wx["merchant_public_key"], wx["mchid"], NOW)
    assert verify_authorization(auth, "POST", path, body, *args)
    assert not verify_authorization(auth, "POST", path + "?x=1", body, *args)
    assert not verify_authorization(auth, "POST", path, body + b" ", *args)
    assert not verify_authorization(auth, "POST", path, body, wx["merchant_public_key"], "1900000002", NOW)
    assert not verify_authorization(auth, "POST", path, body, wx["merchant_public_key"], wx["mchid"],
                                    datetime.fromisoformat("2026-04-05T02:06:00+00:00"))
    no_newline = crypto.sign(wx["merchant_private_key"], request_message("POST", path, "1", "n", body)[:-1])
    forged = auth.replace(auth.split('signature="')[1].split('"')[0], no_newline)
    assert not verify_authorization(forged, "POST", path, body, *args)


def test_simulators_refuse_requests_the_provider_would_refuse(pdeps: Any, keys: Any,
                                                              foreign_keys: Any) -> None:
    from chalicelib.dev.sandbox_providers import SandboxAlipay, SandboxWechatPay
    ali = keys["alipay"]
    wx = {k: v for k, v in keys["wechatpay"].items() if k != "platform_private_key"}
    assert SandboxAlipay(pdeps, ali).refund(_refund(), NOW).status == "done"
    assert SandboxAlipay(pdeps, ali).close("OABC", NOW) is True
    assert SandboxWechatPay(pdeps, wx).refund(_refund(), NOW).status == "processing"
    assert SandboxWechatPay(pdeps, wx).close("OABC", NOW) is True
    # signed with a merchant key the provider does not hold for us
    stranger_ali = {**ali, "merchant_private_key": foreign_keys["alipay"]["merchant_private_key"]}
    stranger_wx = {**wx, "merchant_private_key": foreign_keys["wechatpay"]["merchant_private_key"]}
    for call in (lambda: SandboxAlipay(pdeps, stranger_ali).refund(_refund(), NOW),
                 lambda: SandboxAlipay(pdeps, stranger_ali).close("OABC", NOW),
                 lambda: SandboxWechatPay(pdeps, stranger_wx).refund(_refund(), NOW),
                 lambda: SandboxWechatPay(pdeps, stranger_wx).close("OABC", NOW)):
        with pytest.raises(ProviderError):
            call()
