"""A refunded individual order's invoice is reversed (红字) after the refund completes."""
from typing import Any

from tests.payments.conftest import alipay_body, approved_registration


def test_refund_after_invoicing_reverses_the_invoice(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.invoicing import service as invoices
    from chalicelib.billing import orders, payments, refunds
    from chalicelib.invoicing.repository import Invoice
    # Given a paid order with its invoice issued
    acc, rid = approved_registration(pdeps, clock.now(), name="李玥")
    now = clock.now()
    order = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, now)
    assert payments.handle_alipay(pdeps, alipay_body(keys, order, now), now) == (200, "success")
    issued = invoices.request_invoice(pdeps, acc.user_sub, order["order_id"], "李玥", None, now)
    # When the trainee's refund completes (the Alipay sandbox refunds synchronously)
    refund = refunds.request_refund(pdeps, acc.user_sub, order["order_id"], "工作冲突", now)
    assert refund["status"] == "done"
    # Then the invoice is reversed by a red-letter invoice of the same amount
    original = Invoice.get(issued["invoice_id"])
    assert original.status == "reversed"
    reds = [i for i in Invoice.by_order.query(order["order_id"]) if i.kind == "red"]
    assert len(reds) == 1 and reds[0].reverses_id == issued["invoice_id"]
    assert reds[0].amount_fen == -original.amount_fen
