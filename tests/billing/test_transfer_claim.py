"""我已汇款: a trainee paying by bank transfer records the day and amount they sent; the
order shows it, finance lists the claims (the open bank-transfer queue), and it pays
nothing: finance still confirms against the statement."""
from __future__ import annotations

from typing import Any

from tests.billing.test_api import _approved_trainee


def _transfer(api: Any) -> tuple[str, dict[str, Any]]:
    token, rid = _approved_trainee(api)
    r = api.post("/orders", token, json={"registration_id": rid, "channel": "bank_transfer"})
    assert r.status_code == 201, r.body
    return token, r.data


def test_a_claim_is_recorded_listed_for_finance_and_pays_nothing(api: Any, pdeps: Any, clock: Any) -> None:
    token, order = _transfer(api)
    path = f"/orders/{order['order_id']}/transfer-claim"
    # a day in the future, or not a date: 400 naming 汇款日期
    future = api.post(path, token, json={"paid_on": "2026-04-06", "amount_fen": 49000})
    assert future.status_code == 400 and future.data["field"] == "paid_on" and "今天" in future.data["Message"]
    bad = api.post(path, token, json={"paid_on": "4/5", "amount_fen": 49000})
    assert bad.status_code == 400 and bad.data["field"] == "paid_on"
    assert api.post(path, token, json={"paid_on": "2026-04-05", "amount_fen": 0}).status_code == 400
    ok = api.post(path, token, json={"paid_on": "2026-04-05", "amount_fen": 49000})
    assert ok.status_code == 200, ok.body
    assert ok.data["status"] == "open" and ok.data["transfer_claim"]["paid_on"] == "2026-04-05"
    assert ok.data["transfer_claim"]["amount_fen"] == 49000
    mine = api.get("/orders/mine", token).data["orders"]
    assert mine[0]["transfer_claim"]["claimed_at"].startswith("2026-04-05T10:00")
    finance = api.staff("finance")
    listed = api.get("/admin/transfer-claims", finance)
    assert listed.status_code == 200 and [o["order_id"] for o in listed.data["orders"]] == [order["order_id"]]
    assert api.get("/registrations/mine", token).data["registrations"][0]["payment_status"] == "unpaid"
    # someone else cannot claim on it; once finance confirmed, there is nothing to claim
    other, _ = _approved_trainee(api)
    assert api.post(path, other, json={"paid_on": "2026-04-05", "amount_fen": 49000}).status_code == 404
    assert api.post(f"/admin/orders/{order['order_id']}/confirm-transfer", finance,
                    json={"bank_serial": "SER777", "amount_fen": 49000}).status_code == 200
    done = api.post(path, token, json={"paid_on": "2026-04-05", "amount_fen": 49000})
    assert done.status_code == 409
    assert api.get("/admin/transfer-claims", finance).data["orders"] == []


def test_an_online_order_takes_no_claim(api: Any, pdeps: Any) -> None:
    token, rid = _approved_trainee(api)
    order = api.post("/orders", token, json={"registration_id": rid, "channel": "alipay"}).data
    r = api.post(f"/orders/{order['order_id']}/transfer-claim", token,
                 json={"paid_on": "2026-04-05", "amount_fen": 49000})
    assert r.status_code == 409 and r.data["Code"] == "NOT_BANK_TRANSFER"
