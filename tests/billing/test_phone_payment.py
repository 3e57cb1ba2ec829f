"""Paying on a phone, through the HTTP boundary: the product follows where the page runs
(`device`), each pay link goes through the simulated gateway that checks it by the
provider's rules, and the cashier's payment marks the order paid."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlparse

from tests.billing.test_api import _approved_trainee

BASE = "http://127.0.0.1:8000"


def _local(url: str) -> str:
    assert url.startswith(BASE), url
    return url.removeprefix(BASE)


def _paid(api: Any, token: str) -> bool:
    return bool(api.get("/registrations/mine", token).data["registrations"][0]["payment_status"] == "paid")


def test_an_old_client_pays_as_on_a_computer(api: Any, pdeps: Any) -> None:
    token, rid = _approved_trainee(api)
    ali = api.post("/orders", token, json={"registration_id": rid, "channel": "alipay"}).data
    assert ali["product"] == "alipay_page" and "method=alipay.trade.page.pay" in ali["pay_url"]
    wx = api.post("/orders", token, json={"registration_id": rid, "channel": "wechatpay"}).data
    assert wx["product"] == "wechat_native" and wx["code_url"] and "h5_url" not in wx


def test_alipay_on_a_phone_pays_through_wap_pay(api: Any, pdeps: Any) -> None:
    token, rid = _approved_trainee(api)
    order = api.post("/orders", token, json={"registration_id": rid, "channel": "alipay",
                                             "device": "phone"}).data
    assert order["product"] == "alipay_wap"
    params = dict(parse_qsl(urlparse(order["pay_url"]).query))
    assert params["method"] == "alipay.trade.wap.pay" and urlparse(order["pay_url"]).path == "/dev/pay/alipay/gateway.do"
    # The simulated gateway shows the phone cashier for the signed request...
    page = api.get(_local(order["pay_url"]))
    body = page.body.decode()
    assert page.status_code == 200 and 'data-product="alipay_wap"' in body and "确认付款" in body
    # ...and refuses it once anything signed is changed (the same order, another amount)
    tampered = {**params, "biz_content": params["biz_content"].replace("490.00", "1.00")}
    refused = api.get(f"/dev/pay/alipay/gateway.do?{urlencode(tampered)}")
    assert refused.status_code == 400 and "isv.invalid-signature" in refused.body.decode()
    unsigned = {k: v for k, v in params.items() if k != "sign"}
    assert "isv.missing-signature" in api.get(f"/dev/pay/alipay/gateway.do?{urlencode(unsigned)}").body.decode()
    # The cashier's button pays and goes back to our page (return_url), as Alipay does
    back = params["return_url"]
    paid = api.call("POST", f"/dev/pay/{order['order_id']}", body=urlencode({"return_url": back}).encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert paid.status_code == 303 and paid.headers["Location"] == back
    assert _paid(api, token)


def test_wechat_pay_h5_in_a_phone_browser(api: Any, pdeps: Any) -> None:
    token, rid = _approved_trainee(api)
    order = api.post("/orders", token, json={"registration_id": rid, "channel": "wechatpay",
                                             "device": "phone"}).data
    assert order["product"] == "wechat_h5" and "code_url" not in order
    url = urlparse(order["h5_url"])
    query = parse_qs(url.query)
    assert url.path == "/dev/pay/wechatpay/checkmweb" and query["prepay_id"][0].startswith("wx")
    assert query["redirect_url"][0] == f"{BASE}/web/index.html#/orders"  # back to our page
    page = api.get(_local(order["h5_url"]))
    assert page.status_code == 200 and 'data-product="wechat_h5"' in page.body.decode()
    assert api.get("/dev/pay/wechatpay/checkmweb?prepay_id=nonsense").status_code == 400
    paid = api.call("POST", f"/dev/pay/{order['order_id']}", body=b"",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert paid.status_code == 200 and paid.data["status"] == "paid"
    assert _paid(api, token)


def test_wechat_pay_jsapi_inside_wechat_after_web_oauth(api: Any, pdeps: Any, keys: Any) -> None:
    from chalicelib.billing import queries
    from chalicelib.billing.providers import crypto
    token, rid = _approved_trainee(api)
    # Given the page runs inside WeChat: first WeChat's web OAuth, and nothing is written yet
    r = api.post("/orders", token, json={"registration_id": rid, "channel": "wechatpay",
                                         "device": "wechat", "official_card": True})
    assert r.status_code == 409 and r.data["Code"] == "WECHAT_OAUTH_REQUIRED", r.body
    assert api.get("/orders/mine", token).data["orders"] == []
    auth = urlparse(r.data["authorize_url"])
    q = {k: v[0] for k, v in parse_qs(auth.query).items()}
    assert auth.path == "/dev/pay/wechatpay/connect/oauth2/authorize" and auth.fragment == "wechat_redirect"
    assert q["scope"] == "snsapi_base" and q["appid"] == keys["wechatpay"]["appid"]
    assert q["redirect_uri"] == f"{BASE}/web/index.html#/pay/{rid}" and q["state"] == f"pay1{rid}"
    # A redirect_uri off our site is refused, as WeChat refuses a domain not configured
    evil = api.get("/dev/pay/wechatpay/connect/oauth2/authorize?" + urlencode({**q, "redirect_uri": "https://evil.example/"}))
    assert evil.status_code == 400 and "10003" in evil.body.decode()
    # When WeChat comes back with the code (before the #, as WeChat puts it)
    back = api.get(_local(r.data["authorize_url"].split("#")[0]))
    assert back.status_code == 302
    location = urlparse(back.headers["Location"])
    assert location.path == "/web/index.html" and location.fragment == f"/pay/{rid}"
    code = parse_qs(location.query)["code"][0]
    assert parse_qs(location.query)["state"] == [f"pay1{rid}"]
    order = api.post("/orders", token, json={"registration_id": rid, "channel": "wechatpay", "device": "wechat",
                                             "official_card": True, "wechat_code": code}).data
    # Then the order carries the bridge parameters, paySign over the four lines
    params = order["jsapi_params"]
    assert order["product"] == "wechat_jsapi" and params["package"].startswith("prepay_id=wx")
    message = "\n".join([params["appId"], params["timeStamp"], params["nonceStr"], params["package"]]) + "\n"
    assert crypto.verify(keys["wechatpay"]["merchant_public_key"], message.encode(), params["paySign"])
    assert api.get("/dev/pay/wechatpay/jsbridge.js").status_code == 200
    # The simulated bridge refuses a paySign that does not match, then pays the real one
    forged = api.call("POST", "/dev/pay/wechatpay/jsapi-pay",
                      body=json.dumps({**params, "nonceStr": "x" + params["nonceStr"]}).encode(),
                      headers={"Content-Type": "application/json"})
    assert forged.status_code == 400 and forged.data["err_msg"] == "get_brand_wcpay_request:fail"
    assert not _paid(api, token)
    ok = api.call("POST", "/dev/pay/wechatpay/jsapi-pay", body=json.dumps(params).encode(),
                  headers={"Content-Type": "application/json"})
    assert ok.status_code == 200 and ok.data["err_msg"] == "get_brand_wcpay_request:ok", ok.body
    assert _paid(api, token)
    stored = queries.get_order(order["order_id"])
    assert stored is not None and stored.official_card
    # A stale or made-up code sends the trainee through OAuth again (no order written)
    _, rid2 = token, rid
    token2, rid2 = _approved_trainee(api)
    again = api.post("/orders", token2, json={"registration_id": rid2, "channel": "wechatpay",
                                              "device": "wechat", "wechat_code": "stale-code"})
    assert again.status_code == 409 and again.data["Code"] == "WECHAT_OAUTH_REQUIRED"
    assert unquote(again.data["authorize_url"]).count(rid2) == 2  # redirect_uri and state


def test_changing_the_device_gives_a_new_order_and_closes_the_old(api: Any, pdeps: Any) -> None:
    token, rid = _approved_trainee(api)
    desk = api.post("/orders", token, json={"registration_id": rid, "channel": "alipay"}).data
    same = api.post("/orders", token, json={"registration_id": rid, "channel": "alipay",
                                            "device": "desktop"}).data
    assert same["order_id"] == desk["order_id"]
    phone = api.post("/orders", token, json={"registration_id": rid, "channel": "alipay",
                                             "device": "phone"}).data
    assert phone["order_id"] != desk["order_id"] and phone["product"] == "alipay_wap"
    mine = {o["order_id"]: o["status"] for o in api.get("/orders/mine", token).data["orders"]}
    assert mine == {desk["order_id"]: "closed", phone["order_id"]: "open"}
    assert api.post("/orders", token, json={"registration_id": rid, "channel": "alipay",
                                            "device": "tablet"}).status_code == 400


def test_the_simulated_gateways_refuse_garbage_without_a_500(api: Any, pdeps: Any) -> None:
    """Hostile or broken requests get the provider-style refusal, never a 500."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    jsonh = {"Content-Type": "application/json"}
    calls = [
        ("GET", "/dev/pay/alipay/gateway.do", b"", {}),
        ("GET", "/dev/pay/alipay/gateway.do?sign=%%%&sign_type=RSA2&app_id=2021000000000001", b"", {}),
        ("GET", "/dev/pay/alipay/gateway.do?" + urlencode({"sign": "YWJj", "sign_type": "RSA2", "biz_content": "{"}), b"", {}),
        ("POST", "/dev/pay/alipay/gateway.do", b"a=b&biz_content=%7B", form),
        ("POST", "/dev/pay/wechatpay/v3/pay/transactions/h5", b"[1,2]", {**jsonh, "Authorization": "WECHATPAY2-SHA256-RSA2048 x"}),
        ("POST", "/dev/pay/wechatpay/v3/pay/transactions/nope", b"{}", jsonh),
        ("GET", "/dev/pay/wechatpay/checkmweb?prepay_id=wx12345678901234%F0%9F%98%80", b"", {}),
        ("POST", "/dev/pay/wechatpay/jsapi-pay", b"not json", jsonh),
        ("POST", "/dev/pay/wechatpay/jsapi-pay", json.dumps({"appId": [], "paySign": 1}).encode(), jsonh),
        ("GET", "/dev/pay/wechatpay/connect/oauth2/authorize?appid=x", b"", {}),
    ]
    for method, path, body, headers in calls:
        r = api.call(method, path, body=body, headers=headers)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.body[:200])
