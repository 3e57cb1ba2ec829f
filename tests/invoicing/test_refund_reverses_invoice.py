"""A refunded individual order's invoice is reversed (红字) after the refund completes."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any


def approved_registration(deps: Any, now: datetime, name: str) -> tuple[Any, str]:
    """A trainee account with an approved registration."""
    from chalicelib.identity.repository import Account
    from chalicelib.registration import service as registrations
    sub = f"sub-{uuid.uuid4().hex[:12]}"
    acc = Account(user_sub=sub, email=f"{sub}@example.com", name=name, phone="13800138000",
                  phone_norm="13800138000", kind="personal", created_at=now)
    acc.save()
    reg = registrations.create_registration(deps, acc.user_sub, {
        "unit_name": "国家图书馆", "job_title": "馆员", "region": "北京"}, now)
    registrations.approve(deps, reg["registration_id"], "reviewer", now)
    return acc, reg["registration_id"]


def alipay_body(keys: dict[str, Any], order: dict[str, Any], now: datetime) -> bytes:
    from chalicelib.dev.sandbox import alipay_notification
    return alipay_notification(keys["alipay"], order["order_id"], order["amount_fen"],
                               "2026000000000000000000000001", now)


def test_refund_after_invoicing_reverses_the_invoice(deps: Any, clock: Any,
                                                    sandbox_payment_keys: Any) -> None:
    from chalicelib.billing import orders, payments, refunds
    from chalicelib.dev import install
    from chalicelib.invoicing import service as invoices
    from chalicelib.invoicing.repository import Invoice
    install()  # the test stage's payment simulators (they sign with the stack's sandbox keys)
    pdeps, keys = deps, sandbox_payment_keys
    # Given a paid order with its invoice issued
    acc, rid = approved_registration(pdeps, clock.now(), name="李玥")
    now = clock.now()
    order = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, now)
    assert payments.handle_alipay(pdeps, alipay_body(keys, order, now), now) == (200, "success")
    issued = invoices.request_invoice(pdeps, acc.user_sub, order["order_id"], "李玥", None, now)
    invoices.advance(pdeps, Invoice.get(issued["invoice_id"]), now)  # the simulator issues it
    assert Invoice.get(issued["invoice_id"]).status == "issued"
    # When the trainee's refund completes (the Alipay sandbox refunds synchronously)
    refund = refunds.request_refund(pdeps, acc.user_sub, order["order_id"], "工作冲突", now)
    assert refund["status"] == "done"
    # Then the invoice is reversed by a red-letter invoice of the same amount (服务中止)
    original = Invoice.get(issued["invoice_id"])
    assert original.status == "reversed"
    reds = [i for i in Invoice.by_order.query(order["order_id"]) if i.kind == "red"]
    assert len(reds) == 1 and reds[0].reverses_id == issued["invoice_id"]
    assert reds[0].amount_fen == -original.amount_fen and reds[0].red_reason == "3"


def test_refund_while_the_invoice_is_with_the_provider_reverses_it_once_issued(
        deps: Any, clock: Any, sandbox_payment_keys: Any) -> None:
    from chalicelib.billing import orders, payments, refunds
    from chalicelib.dev import install
    from chalicelib.invoicing import service as invoices
    from chalicelib.invoicing.repository import Invoice
    install()
    acc, rid = approved_registration(deps, clock.now(), name="李玥")
    now = clock.now()
    order = orders.create_order(deps, acc.user_sub, rid, "alipay", False, now)
    assert payments.handle_alipay(deps, alipay_body(sandbox_payment_keys, order, now), now) == (200, "success")
    # Given an invoice the provider has accepted but not issued yet
    asked = invoices.request_invoice(deps, acc.user_sub, order["order_id"], "李玥", None, now)
    assert asked["status"] == "issuing"
    # When the refund completes, nothing can be reversed yet: it is marked
    assert refunds.request_refund(deps, acc.user_sub, order["order_id"], "工作冲突", now)["status"] == "done"
    blue = Invoice.get(asked["invoice_id"])
    assert blue.status == "issuing" and blue.reverse_when_issued == "订单已退费"
    # Then once the provider issues it, it is reversed at once through the provider
    invoices.advance(deps, blue, now)
    assert Invoice.get(asked["invoice_id"]).status == "reversed"
    [red] = [i for i in Invoice.by_order.query(order["order_id"]) if i.kind == "red"]
    assert red.reason == "订单已退费" and red.status in ("issuing", "issued")
