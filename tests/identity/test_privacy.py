"""Personal data on request: export everything, erase name and contact where the law lets
us, keep what finance must keep, and log no personal data while doing it."""
from __future__ import annotations

import json
from typing import Any

from tests.conftest import at, unique_email
from tests.logs import app_log

CONFIRM = {"confirm": "注销"}


def _paid_trainee(api: Any, deps: Any, clock: Any) -> tuple[str, str, dict[str, str]]:
    from chalicelib.billing import payments
    from chalicelib.registration import service as registrations
    from tests.invoicing.factories import FastIssuer
    deps.extras["invoice_issuer"] = FastIssuer()
    email, token = api.signup(unique_email("pii"), name="王小明", phone="13912345678")
    rid = api.register(token).data["registration_id"]
    registrations.approve(deps, rid, "reviewer", clock.now())
    order = api.post("/orders", token, json={"registration_id": rid, "channel": "bank_transfer"}).data
    payments.confirm_transfer(deps, order["order_id"], None, "SERIAL-PII-1", order["amount_fen"],
                              "finance", clock.now())
    invoice = api.post("/invoices", token, json={"order_id": order["order_id"], "title": "王小明"}).data
    return email, token, {"reg": rid, "order": order["order_id"], "invoice": invoice["invoice_id"]}


def test_export_then_erasure_keeps_finance_records_and_removes_the_person(api: Any, deps: Any,
                                                                          clock: Any) -> None:
    from chalicelib.platform.mail import outbox as mail
    from chalicelib.identity.repository import Account
    from chalicelib.platform.store.audit import history
    from chalicelib.billing.repository import Order
    from chalicelib.registration.repository import Registration
    email, token, ids = _paid_trainee(api, deps, clock)
    sub = api.get("/me", token).data["user_id"]
    # Given a paid trainee: the export holds the account, registration, order and invoice
    data = api.get("/me/personal-data", token).data
    assert data["account"]["email"] == email and data["account"]["phone"] == "13912345678"
    assert [r["registration_id"] for r in data["registrations"]] == [ids["reg"]]
    assert [o["order_id"] for o in data["orders"]] == [ids["order"]]
    assert [i["invoice_id"] for i in data["invoices"]] == [ids["invoice"]]
    assert any(m["to"] == email for m in data["mail"])
    # While the training runs, erasure waits (the person is still needed)
    clock.set(at("2026-04-20T10:00:00+08:00"))
    r = api.post("/me/erasure", token, json=CONFIRM)
    assert r.status_code == 409 and r.data["Code"] == "ERASURE_BLOCKED"
    assert r.data["registrations"] == [ids["reg"]]
    # A request without the typed confirmation is a 400 naming the field
    clock.set(at("2026-07-01T00:00:00+08:00"))
    r = api.post("/me/erasure", token, json={"confirm": "yes"})
    assert r.status_code == 400 and r.data["field"] == "confirm"
    # When the certificate window has closed, erasure goes through
    r = api.post("/me/erasure", token, json=CONFIRM)
    assert r.status_code == 200 and r.data["erased"] is True and r.data["already"] is False
    # Then the person's name and contact are gone from the account, registration and mail...
    acc = Account.get(sub, consistent_read=True)
    assert (acc.name, acc.phone) == ("已注销用户", None) and email not in acc.email
    reg = Registration.get(ids["reg"], consistent_read=True)
    assert (reg.name, reg.phone) == ("已注销用户", "-") and email not in reg.email
    assert reg.payment_status == "paid"  # the facts stay
    assert mail.list_mail(email) == []
    # ...the finance records stay as issued (accounting law), and so does the invoice's title
    order = Order.get(ids["order"], consistent_read=True)
    assert order.status == "paid" and order.amount_fen == 49000
    admin = api.staff("admin")
    inv = api.get(f"/invoices/{ids['invoice']}", admin).data
    assert inv["title"] == "王小明" and inv["amount_fen"] == 49000
    # ...the sign-in is gone, and the erasure is audited once
    assert api.post("/auth/login", json={"email": email, "password": "Passw0rd!x"}).status_code in (400, 401)
    assert [e.action for e in history(f"account#{sub}")].count("account.erased") == 1
    # A repeated request (here by an administrator) is harmless
    r = api.post(f"/admin/people/{sub}/erasure", admin, json=CONFIRM)
    assert r.status_code == 200 and r.data["already"] is True
    assert [e.action for e in history(f"account#{sub}")].count("account.erased") == 1
    exported = api.get(f"/admin/people/{sub}/personal-data", admin).data
    assert exported["account"]["erased"] is True and "王小明" not in json.dumps(
        [exported["account"], exported["registrations"]], ensure_ascii=False)


def test_an_unpaid_live_registration_blocks_until_withdrawn(api: Any, deps: Any, clock: Any) -> None:
    email, token = api.signup(unique_email("pii2"), name="赵六")
    rid = api.register(token).data["registration_id"]
    r = api.post("/me/erasure", token, json=CONFIRM)
    assert r.status_code == 409 and r.data["registrations"] == [rid]
    assert api.post(f"/registrations/{rid}/withdraw", token, json={}).status_code == 200
    assert api.post("/me/erasure", token, json=CONFIRM).status_code == 200
    assert api.get("/admin/people/nobody-here/personal-data", api.staff("admin")).status_code == 404


def test_logs_never_carry_phone_email_name_or_token(api: Any, deps: Any, clock: Any) -> None:
    """Everything a sign-up, a registration and an erasure log, with PII passed in `extra`."""
    from chalicelib.platform.observability import logger, mask
    with app_log() as sink:
        email, token = api.signup(unique_email("logpii"), name="钱七", phone="13700001111")
        api.register(token)
        logger.info("test line", extra={"email": email, "phone": "+86 137-0000-1111",
                                         "note": f"Bearer {token}", "token": token})
        api.get("/me", token)
    text = sink.getvalue()
    assert "test line" in text
    for secret in (email, "13700001111", "137-0000-1111", token, token.split(".")[1]):
        assert secret not in text, secret
    assert mask({"a": ["x 13800138000 y", "li@example.com"]}) == {"a": ["x 1********** y", "***@***"]}
