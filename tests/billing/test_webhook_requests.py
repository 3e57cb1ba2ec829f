"""A payment confirmation at its DynamoDB floor (docs/performance.md, bench dynamo_calls):
the order and the registration read, one transaction crediting it with the confirmation
mail's outbox item inside, the mail marked sent. No idempotency record and no read of the
transaction's guard first: the guard in the transaction is what makes a replay harmless."""
from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any, Iterator

from tests.billing.conftest import alipay_body, approved_registration, get_order, get_reg, payments_of


@contextmanager
def on_the_wire() -> Iterator[list[tuple[str, list[str]]]]:
    """(operation, tables it touched) of each request on the shared DynamoDB client."""
    from chalicelib.platform.store.base import connection
    events = connection().client.meta.events
    seen: list[tuple[str, list[str]]] = []

    def before(params: dict[str, Any], model: Any, **_: Any) -> None:
        body = json.loads(params.get("body") or b"{}")
        items = body.get("TransactItems") or []
        tables = [next(iter(i.values()))["TableName"] for i in items] or [body.get("TableName", "")]
        seen.append((model.name, tables))
    events.register("before-call.dynamodb.*", before)
    try:
        yield seen
    finally:
        events.unregister("before-call.dynamodb.*", before)


def _order(pdeps: Any, clock: Any) -> tuple[Any, str, dict[str, Any]]:
    from chalicelib.billing import orders
    acc, rid = approved_registration(pdeps, clock.now())
    return acc, rid, orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, clock.now())


def test_a_confirmation_is_four_requests_with_the_mail_inside_the_transaction(
        pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import payments
    from chalicelib.platform.mail import outbox as mail
    acc, rid, order = _order(pdeps, clock)
    body = alipay_body(keys, order, clock.now(), txn="2026FLOOR0001")
    with on_the_wire() as seen:
        assert payments.handle_alipay(pdeps, body, clock.now()) == (200, "success")
    # (the test stage reads the edition per request; a warm prod Lambda has it cached)
    seen[:] = [(op, tables) for op, tables in seen if not tables[0].endswith("editions")]
    assert [op for op, _ in seen] == ["GetItem", "GetItem", "TransactWriteItems", "UpdateItem"], seen
    tx_tables = seen[2][1]
    assert any(t.endswith("mail") for t in tx_tables), tx_tables
    assert not any("idempotency" in t for _, tables in seen for t in tables)
    assert get_order(order["order_id"]).status == "paid" and get_reg(rid).payment_status == "paid"
    assert [m["status"] for m in mail.list_mail(acc.email) if m["template"] == "payment.confirmed"] == ["sent"]


def test_a_replay_without_the_idempotency_layer_credits_once_and_mails_once(
        pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import payments
    from chalicelib.platform.mail import outbox as mail
    acc, rid, order = _order(pdeps, clock)
    body = alipay_body(keys, order, clock.now(), txn="2026FLOOR0002")
    assert payments.handle_alipay(pdeps, body, clock.now()) == (200, "success")
    with on_the_wire() as seen:  # the same notification again: its guard loses the condition
        assert payments.handle_alipay(pdeps, body, clock.now()) == (200, "success")
    assert "TransactWriteItems" in [op for op, _ in seen]
    assert [p.disposition for p in payments_of(order["order_id"])] == ["credited"]
    assert get_reg(rid).paid_order_id == order["order_id"]
    confirmed = [m for m in mail.list_mail(acc.email) if m["template"] == "payment.confirmed"]
    assert [m["status"] for m in confirmed] == ["sent"]
    assert not [m for m in mail.list_mail(acc.email) if m["template"] == "payment.duplicate_refunded"]
