"""python-alipay-sdk (3.4.0) as the judge of our Alipay signatures.

Requests (alipay.trade.page.pay, .refund, .close, .query): Alipay signs every parameter but `sign`,
`sign_type` included, sorted `k=v` joined by `&`, RSA2 — exactly what the SDK's
`sign_data` does, so our signature must equal the SDK's (PKCS#1 v1.5 is deterministic).
Notifications: Alipay signs every parameter but `sign` and `sign_type`; the SDK's `verify`
is the rule a merchant checks them by, so one signed the SDK's way must credit our order
through POST /webhooks/alipay, and our sandbox's notifications must pass the SDK's check."""
from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

import pytest

alipay_sdk = pytest.importorskip("alipay")

from chalicelib.billing.providers import PayRequest, ProviderError, RefundRequest, crypto  # noqa: E402
from chalicelib.billing.providers.alipay import Alipay  # noqa: E402
from tests.billing.conftest import approved_registration, get_order  # noqa: E402

NOW = datetime.fromisoformat("2026-04-05T02:00:00+00:00")


def _sdk(private_key: str, public_key: str) -> Any:
    return alipay_sdk.AliPay(appid="2021000000000001", app_private_key_string=private_key,
                             alipay_public_key_string=public_key, sign_type="RSA2")


def _merchant_sdk(keys: dict[str, Any]) -> Any:
    """The SDK as the merchant: signs with our merchant key."""
    return _sdk(keys["alipay"]["merchant_private_key"], keys["alipay"]["alipay_public_key"])


def _sdk_signature(sdk: Any, params: dict[str, str]) -> str:
    """What the SDK's request signing (`sign_data`) puts in `sign` for these parameters."""
    signed = dict(parse_qsl(sdk.sign_data({k: v for k, v in params.items() if k != "sign"})))
    return signed["sign"]


def _content(params: dict[str, str], without: tuple[str, ...]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in without)


class _Resp(io.BytesIO):
    def __enter__(self) -> "_Resp":
        return self

    def __exit__(self, *a: Any) -> None:
        return None


def _answering(keys: dict[str, Any], key: str, body: dict[str, Any], sent: dict[str, str]) -> Any:
    """Alipay's gateway: records the form we post, answers `body` signed by Alipay."""
    def urlopen(request: Any, timeout: float) -> _Resp:
        sent.update(dict(parse_qsl(request.data.decode())))
        inner = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        sign = crypto.sign(keys["alipay"]["alipay_private_key"], inner.encode())
        return _Resp(f'{{"{key}":{inner},"sign":"{sign}"}}'.encode())
    return urlopen


def _cfg(keys: dict[str, Any]) -> dict[str, Any]:
    return {**keys["alipay"], "sandbox": False, "gateway": "https://openapi.alipay.com/gateway.do"}


def test_page_pay_url_signature_equals_the_sdks(keys: Any) -> None:
    req = PayRequest("OABC", 49000, "在职培训 培训费", "https://x/webhooks/alipay", "https://x/r", NOW)
    url = Alipay(_cfg(keys)).pay_link(req, NOW)["pay_url"]
    params = dict(parse_qsl(urlparse(url).query))
    assert params["method"] == "alipay.trade.page.pay" and params["sign_type"] == "RSA2"
    assert params["sign"] == _sdk_signature(_merchant_sdk(keys), params)
    # and the SDK's verifier, holding our merchant public key, accepts it over the request rule
    verifier = _sdk(keys["alipay"]["merchant_private_key"], keys["alipay"]["merchant_public_key"])
    assert verifier._verify(_content(params, ("sign",)), params["sign"])


@pytest.mark.parametrize("method", ["alipay.trade.refund", "alipay.trade.close", "alipay.trade.query"])
def test_gateway_calls_are_signed_as_the_sdk_signs_them(keys: Any, monkeypatch: Any, method: str) -> None:
    key = method.replace(".", "_") + "_response"
    sent: dict[str, str] = {}
    monkeypatch.setattr("urllib.request.urlopen", _answering(
        keys, key, {"code": "10000", "msg": "Success", "trade_no": "2026TX", "fund_change": "Y"}, sent))
    adapter = Alipay(_cfg(keys))
    if method == "alipay.trade.refund":
        adapter.refund(RefundRequest("FABC", "OABC", "2026TX", 49000, 49000, "退费",
                                     "https://x/webhooks/alipay"), NOW)
    elif method == "alipay.trade.close":
        assert adapter.close("OABC", NOW) is True
    else:
        assert adapter.query("OABC", NOW)["trade_no"] == "2026TX"
    assert sent["method"] == method and sent["sign_type"] == "RSA2"
    assert sent["sign"] == _sdk_signature(_merchant_sdk(keys), sent)


def test_the_old_rule_without_sign_type_is_refused_by_the_sdk(keys: Any) -> None:
    """What the platform used to send: a request signed over the parameters without
    `sign_type` (the notification rule). The SDK's request signature differs from it and
    verifying it over the request's signed string fails."""
    params = {"app_id": "2021000000000001", "method": "alipay.trade.page.pay", "format": "JSON",
              "charset": "utf-8", "sign_type": "RSA2", "version": "1.0",
              "timestamp": "2026-04-05 10:00:00", "biz_content": '{"out_trade_no":"OABC"}'}
    old = crypto.sign(keys["alipay"]["merchant_private_key"],
                      _content(params, ("sign", "sign_type")).encode())
    assert old != _sdk_signature(_merchant_sdk(keys), params)
    verifier = _sdk(keys["alipay"]["merchant_private_key"], keys["alipay"]["merchant_public_key"])
    assert not verifier._verify(_content(params, ("sign",)), old)


def test_answer_with_braces_inside_a_string_value_is_verified(keys: Any, monkeypatch: Any) -> None:
    """The signed part of an answer is the exact JSON text of `<method>_response`: a `}` or
    `{` inside a string value does not end or open it."""
    sent: dict[str, str] = {}
    tricky = {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_HAS_CLOSE",
              "sub_msg": "交易已关闭}{\"x\":{", "trade_no": "2026TX"}
    monkeypatch.setattr("urllib.request.urlopen", _answering(
        keys, "alipay_trade_refund_response", tricky, sent))
    result = Alipay(_cfg(keys)).refund(RefundRequest("FABC", "OABC", "2026TX", 49000, 49000, "退费",
                                                     "https://x/webhooks/alipay"), NOW)
    assert result.status == "failed" and "ACQ.TRADE_HAS_CLOSE" in (result.detail or "")


def test_answer_whose_signed_part_was_altered_is_refused(keys: Any, monkeypatch: Any) -> None:
    sent: dict[str, str] = {}
    good = _answering(keys, "alipay_trade_close_response", {"code": "10000", "msg": "a}b"}, sent)

    def altered(request: Any, timeout: float) -> _Resp:
        return _Resp(good(request, timeout).getvalue().replace(b'"a}b"', b'"a}c"'))
    monkeypatch.setattr("urllib.request.urlopen", altered)
    with pytest.raises(ProviderError):
        Alipay(_cfg(keys)).close("OABC", NOW)


def _sdk_signed_notification(keys: dict[str, Any], order: dict[str, Any], now: datetime,
                             passback: str | None = None) -> bytes:
    """A payment notification signed the SDK's way, with Alipay's (sandbox) private key:
    the SDK's `_sign` over the string its `verify` checks (all but sign and sign_type);
    `passback`: the passback_params Alipay hands back as the pay request sent it."""
    as_alipay = _sdk(keys["alipay"]["alipay_private_key"], keys["alipay"]["alipay_public_key"])
    stamp = "2026-04-05 10:00:00"
    params = {"notify_time": stamp, "notify_type": "trade_status_sync", "notify_id": "n1",
              "app_id": keys["alipay"]["app_id"], "charset": "utf-8", "version": "1.0",
              "trade_no": "2026040522001400000000000001", "out_trade_no": order["order_id"],
              "buyer_id": "2088102177846880", "seller_id": "2088000000000000",
              "trade_status": "TRADE_SUCCESS", "total_amount": "490.00",
              "receipt_amount": "490.00", "subject": "在职培训 培训费",
              "gmt_create": stamp, "gmt_payment": stamp}
    if passback is not None:
        params["passback_params"] = passback
    sign = as_alipay._sign("&".join(f"{k}={v}" for k, v in as_alipay._ordered_data(dict(params))))
    assert as_alipay.verify(dict(params, sign_type="RSA2"), sign)  # the SDK's own check
    return urlencode({**params, "sign_type": "RSA2", "sign": sign}).encode()


def test_sdk_signed_notification_is_accepted_by_our_webhook(api: Any, pdeps: Any, clock: Any,
                                                            keys: Any) -> None:
    from chalicelib.billing import orders
    acc, rid = approved_registration(pdeps, clock.now())
    order = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, clock.now())
    assert order["amount_fen"] == 49000
    r = api.call("POST", "/webhooks/alipay", body=_sdk_signed_notification(keys, order, clock.now()),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (r.status_code, r.body) == (200, b"success")
    assert get_order(order["order_id"]).status == "paid"


def test_our_sandbox_notifications_pass_the_sdks_check(keys: Any) -> None:
    from chalicelib.dev.sandbox import alipay_notification
    body = alipay_notification(keys["alipay"], "OABC", 49000, "2026TX", NOW)
    params = dict(parse_qsl(body.decode()))
    sign = params.pop("sign")
    oracle = _sdk(keys["alipay"]["merchant_private_key"], keys["alipay"]["alipay_public_key"])
    assert oracle.verify(params, sign)


def test_wap_pay_url_signature_equals_the_sdks(keys: Any) -> None:
    """On a phone: 手机网站支付, alipay.trade.wap.pay, signed by the same request rule."""
    req = PayRequest("OABC", 49000, "在职培训 培训费", "https://x/webhooks/alipay", "https://x/r", NOW,
                     device="phone")
    link = Alipay(_cfg(keys)).pay_link(req, NOW)
    params = dict(parse_qsl(urlparse(link["pay_url"]).query))
    assert link["product"] == "alipay_wap" and params["method"] == "alipay.trade.wap.pay"
    biz = json.loads(params["biz_content"])
    assert biz["product_code"] == "QUICK_WAP_WAY" and biz["quit_url"] == "https://x/r"
    assert params["sign"] == _sdk_signature(_merchant_sdk(keys), params)
    # a desktop (and an old client that does not say) still gets 电脑网站支付
    desktop = Alipay(_cfg(keys)).pay_link(PayRequest("OABC", 49000, "培训费", "https://x/n", "https://x/r", NOW), NOW)
    assert desktop["product"] == "alipay_page" and "alipay.trade.page.pay" in desktop["pay_url"]


def test_the_simulated_gateway_takes_the_sdks_wap_pay_link(api: Any, pdeps: Any, clock: Any,
                                                           keys: Any, foreign_keys: Any) -> None:
    """A pay link python-alipay-sdk signs with the dev merchant key (what an outside check
    does in `make run`) opens the phone cashier; the same link with one byte of biz_content
    changed, or signed by another key, gets Alipay's invalid-signature page."""
    from chalicelib.billing import orders
    acc, rid = approved_registration(pdeps, clock.now())
    order = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, clock.now(), device="phone")
    sdk = _merchant_sdk(keys)
    query = sdk.api_alipay_trade_wap_pay(subject="在职培训 培训费", out_trade_no=order["order_id"],
                                         total_amount="490.00", return_url="http://127.0.0.1:8000/web/index.html",
                                         notify_url="http://127.0.0.1:8000/webhooks/alipay")
    page = api.get(f"/dev/pay/alipay/gateway.do?{query}")
    assert page.status_code == 200, page.body
    assert 'data-product="alipay_wap"' in page.body.decode() and "width=device-width" in page.body.decode()
    params = dict(parse_qsl(query))
    params["biz_content"] = params["biz_content"].replace("490.00", "0.01")
    bad = api.get(f"/dev/pay/alipay/gateway.do?{urlencode(params)}")
    assert bad.status_code == 400 and "isv.invalid-signature" in bad.body.decode()
    stranger = _sdk(foreign_keys["alipay"]["merchant_private_key"], keys["alipay"]["alipay_public_key"])
    forged = stranger.api_alipay_trade_wap_pay(subject="x", out_trade_no=order["order_id"], total_amount="490.00")
    assert api.get(f"/dev/pay/alipay/gateway.do?{forged}").status_code == 400
    # and the pay link our platform gave is accepted as it stands
    ours = api.get(order["pay_url"].removeprefix("http://127.0.0.1:8000"))
    assert ours.status_code == 200 and 'data-product="alipay_wap"' in ours.body.decode()


def test_passback_params_round_trips_as_the_sdk_sends_and_verifies_it(
        api: Any, pdeps: Any, clock: Any, keys: Any) -> None:
    """The registration id rides in passback_params: URL-encoded in biz_content exactly as
    the SDK sends the same value (the SDK's wap pay with our passback_params, signed with our
    merchant key, is accepted by the simulated gateway); Alipay posts it back unchanged, and
    a notification carrying it, signed by the SDK as Alipay, credits the order that names
    that registration (one BatchGetItem of order + registration) and nothing else."""
    from urllib.parse import quote
    from chalicelib.billing import orders
    from chalicelib.billing.providers.protocol import passback_of
    from chalicelib.dev.sandbox import alipay_notification, alipay_passback_of
    acc, rid = approved_registration(pdeps, clock.now())
    order = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, clock.now(), device="phone")
    sent = alipay_passback_of(order["pay_url"])
    assert sent == quote(f"reg={rid}", safe="") == f"reg%3D{rid}" and passback_of(rid) == f"reg={rid}"
    ours = json.loads(dict(parse_qsl(urlparse(order["pay_url"]).query))["biz_content"])
    sdk_query = _merchant_sdk(keys).api_alipay_trade_wap_pay(
        subject="在职培训 培训费", out_trade_no=order["order_id"], total_amount="490.00",
        passback_params=sent)
    theirs = json.loads(dict(parse_qsl(sdk_query))["biz_content"])
    assert theirs["passback_params"] == ours["passback_params"] == sent
    assert api.get(f"/dev/pay/alipay/gateway.do?{sdk_query}").status_code == 200
    # what our simulator posts back carries it unchanged and passes the SDK's check
    body = alipay_notification(keys["alipay"], order["order_id"], 49000, "2026TX", NOW, passback_params=sent)
    params = dict(parse_qsl(body.decode()))
    sign = params.pop("sign")
    assert params["passback_params"] == sent
    assert _sdk(keys["alipay"]["merchant_private_key"], keys["alipay"]["alipay_public_key"]).verify(params, sign)
    # Alipay (the SDK signing) hands it back: credited
    r = api.call("POST", "/webhooks/alipay", body=_sdk_signed_notification(keys, order, clock.now(), sent),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (r.status_code, r.body) == (200, b"success")
    assert get_order(order["order_id"]).status == "paid"


def test_a_notice_whose_passback_names_another_registration_credits_nothing(
        api: Any, pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import orders
    acc, rid = approved_registration(pdeps, clock.now())
    _, other = approved_registration(pdeps, clock.now(), name="王喆")
    order = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, clock.now())
    r = api.call("POST", "/webhooks/alipay",
                 body=_sdk_signed_notification(keys, order, clock.now(), f"reg%3D{other}"),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (r.status_code, r.body) == (200, b"success")  # acknowledged, kept for finance
    assert get_order(order["order_id"]).status == "open"
