"""Through the HTTP boundary (chalice test client, real tokens): order -> sandbox cashier ->
paid -> refund; provider webhooks with their content types; finance statement upload and
confirmation; roles."""
from __future__ import annotations

from typing import Any

from tests.billing.conftest import alipay_body


def _approved_trainee(api: Any) -> tuple[str, str]:
    _, token = api.signup(name="李玥")
    reg = api.register(token)
    assert reg.status_code == 201, reg.body
    reviewer = api.staff("reviewer")
    rid = reg.data["registration_id"]
    assert api.post(f"/admin/registrations/{rid}/approve", reviewer).status_code == 200
    return token, rid


def test_pay_with_the_sandbox_cashier_then_refund(api: Any, pdeps: Any) -> None:
    token, rid = _approved_trainee(api)
    r = api.post("/orders", token, json={"registration_id": rid, "channel": "wechatpay",
                                         "official_card": True, "amount_fen": 1})
    assert r.status_code == 400 and r.data["field"] == "amount_fen"  # the client never sets it
    r = api.post("/orders", token, json={"registration_id": rid, "channel": "wechatpay", "official_card": True})
    assert r.status_code == 201, r.body
    order = r.data
    assert order["amount_fen"] == 49000 and order["official_card"] is True and order["code_url"]
    page = api.get(f"/dev/pay/{order['order_id']}")
    assert page.status_code == 200 and "确认支付" in page.body.decode()
    paid = api.call("POST", f"/dev/pay/{order['order_id']}", body=b"",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert paid.status_code == 200 and paid.data["status"] == "paid", paid.body
    mine = api.get("/orders/mine", token).data["orders"]
    assert [(o["order_id"], o["status"]) for o in mine] == [(order["order_id"], "paid")]
    assert api.get("/registrations/mine", token).data["registrations"][0]["payment_status"] == "paid"
    receipt = api.get(f"/orders/{order['order_id']}/receipt", token)
    # the 交费凭证 is the invoicing feature's PDF now (公务卡 on it: tests/invoicing): a link
    assert receipt.status_code == 200 and receipt.data["url"], receipt.body
    r = api.post("/refunds", token, json={"order_id": order["order_id"], "reason": "时间冲突"})
    assert r.status_code == 201 and r.data["status"] == "done", r.body
    detail = api.get(f"/orders/{order['order_id']}", token).data
    assert detail["status"] == "refunded" and detail["refunds"][0]["status"] == "done"
    # Someone else's order is not found
    _, other = api.signup()
    assert api.get(f"/orders/{order['order_id']}", other).status_code == 404
    assert api.post("/refunds", other, json={"order_id": order["order_id"], "reason": "x"}).status_code == 404


def test_webhooks_over_http(api: Any, pdeps: Any, keys: Any, foreign_keys: Any) -> None:
    token, rid = _approved_trainee(api)
    order = api.post("/orders", token, json={"registration_id": rid, "channel": "alipay"}).data
    now = pdeps.now()
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    forged = api.call("POST", "/webhooks/alipay", body=alipay_body(foreign_keys, order, now,
                                                                    app_id=keys["alipay"]["app_id"]), headers=form)
    assert (forged.status_code, forged.body) == (400, b"fail")
    r = api.call("POST", "/webhooks/alipay", body=alipay_body(keys, order, now), headers=form)
    assert (r.status_code, r.body) == (200, b"success")
    assert api.get(f"/orders/{order['order_id']}", token).data["status"] == "paid"
    # WeChat: unsigned -> 401 FAIL JSON
    r = api.call("POST", "/webhooks/wechatpay", body=b'{"id":"x"}', headers={"Content-Type": "application/json"})
    assert r.status_code == 401 and r.data["code"] == "FAIL"


def test_finance_statement_and_confirmation(api: Any, pdeps: Any) -> None:
    token, rid = _approved_trainee(api)
    order = api.post("/orders", token, json={"registration_id": rid, "channel": "bank_transfer"}).data
    assert order["bank_instructions"]["memo"] == "在职培训+国家图书馆+李玥"
    finance = api.staff("finance")
    csv = ("交易日期,贷方金额,对方户名,对方账号,用途,交易流水号\n"
           "2026-04-07,490.00,李玥,6222,在职培训 国家图书馆 李玥,B-77\n").encode()
    assert api.call("POST", "/admin/bank-statements", token, body=csv,
                    headers={"Content-Type": "text/csv"}).status_code == 403
    r = api.call("POST", "/admin/bank-statements", finance, body=csv, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.body
    [match] = r.data["matches"]
    assert match["order_id"] == order["order_id"]
    bad = api.call("POST", "/admin/bank-statements", finance, body=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"})
    assert bad.status_code == 400 and bad.data["field"] == "body"
    r = api.post(f"/admin/orders/{order['order_id']}/confirm-transfer", finance, json={"line_id": match["line_id"]})
    assert r.status_code == 200 and r.data["status"] == "paid", r.body
    r = api.post(f"/admin/orders/{order['order_id']}/confirm-transfer", finance, json={})
    assert r.status_code == 400 and r.data["field"] == "line_id"
    r = api.post(f"/admin/orders/{order['order_id']}/confirm-transfer", finance, json={"line_id": match["line_id"]})
    assert r.status_code == 200 and r.data["result"] == "already"
    flagged = api.get("/admin/payment-notifications", finance)
    assert flagged.status_code == 200 and flagged.data["notifications"] == []
    assert api.get("/admin/refunds", finance).status_code == 200
    assert api.get("/admin/orders/overdue-transfers", finance).status_code == 200
