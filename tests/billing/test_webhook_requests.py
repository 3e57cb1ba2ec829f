"""A payment confirmation at its DynamoDB floor (docs/performance.md, bench dynamo_calls):
the order and the registration read in one BatchGetItem (the notice hands back the
registration id our pay request put in passback_params / attach), one transaction crediting
it with the confirmation mail's outbox item inside, the mail marked sent: 3 requests. A
notice without it (an order paid by a pay request made before, a provider that drops it)
still credits, in 4. No idempotency record and no read of the transaction's guard first:
the guard in the transaction is what makes a replay harmless."""
from __future__ import annotations

from typing import Any

from tests.billing.conftest import alipay_body, approved_registration, get_order, get_reg, payments_of
from tests.wire import on_the_wire


def _order(pdeps: Any, clock: Any) -> tuple[Any, str, dict[str, Any]]:
    from chalicelib.billing import orders
    acc, rid = approved_registration(pdeps, clock.now())
    return acc, rid, orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, clock.now())


def _business(seen: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    # (the test stage reads the edition per request; a warm prod Lambda has it cached)
    return [(op, tables) for op, tables in seen if not tables[0].endswith("editions")]


def test_a_confirmation_is_three_requests_with_the_registration_named_in_the_notice(
        pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import payments
    from chalicelib.platform.mail import outbox as mail
    acc, rid, order = _order(pdeps, clock)
    body = alipay_body(keys, order, clock.now(), txn="2026FLOOR0003")
    assert f"passback_params=reg%253D{rid}" in body.decode()  # URL-encoded as sent, then form-encoded
    with on_the_wire() as seen:
        assert payments.handle_alipay(pdeps, body, clock.now()) == (200, "success")
    seen[:] = _business(seen)
    assert [op for op, _ in seen] == ["BatchGetItem", "TransactWriteItems", "UpdateItem"], seen
    assert seen[0][1] == ["orders", "registrations"]
    assert any(t.endswith("mail") for t in seen[1][1]) and any(t.endswith("registrations") for t in seen[1][1])
    assert get_order(order["order_id"]).status == "paid" and get_reg(rid).payment_status == "paid"
    assert [m["status"] for m in mail.list_mail(acc.email) if m["template"] == "payment.confirmed"] == ["sent"]


def test_the_notice_naming_another_registration_is_not_our_order(pdeps: Any, clock: Any,
                                                                 keys: Any) -> None:
    from chalicelib.billing import payments
    from chalicelib.billing.repository import ProviderNotification
    acc, rid, order = _order(pdeps, clock)
    _, other = approved_registration(pdeps, clock.now(), name="王喆")
    for n, passback in enumerate((f"reg%3D{other}", "reg%3DR%27%20OR%201", "something-else")):
        body = alipay_body(keys, order, clock.now(), txn=f"2026HINT000{n}", passback_params=passback)
        assert payments.handle_alipay(pdeps, body, clock.now()) == (200, "success")  # acknowledged
        note = ProviderNotification.get(f"alipay#2026HINT000{n}#passback_mismatch")
        assert note.flag == "open" and note.out_trade_no == order["order_id"], note.detail
    # nothing credited, nothing held: the order still open, both registrations unpaid
    assert get_order(order["order_id"]).status == "open" and payments_of(order["order_id"]) == []
    assert get_reg(rid).payment_status == "unpaid" and get_reg(other).payment_status == "unpaid"
    assert get_reg(other).open_order_id is None


def test_a_confirmation_is_four_requests_without_the_registration_in_the_notice(
        pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import payments
    from chalicelib.platform.mail import outbox as mail
    acc, rid, order = _order(pdeps, clock)
    # a pay request made before passback_params was sent: the order is read, then its registration
    body = alipay_body(keys, order, clock.now(), txn="2026FLOOR0001", passback_params=None)
    with on_the_wire() as seen:
        assert payments.handle_alipay(pdeps, body, clock.now()) == (200, "success")
    seen[:] = _business(seen)
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


def test_wechat_pay_hands_the_attach_back_through_the_simulator(pdeps: Any, clock: Any,
                                                                keys: Any) -> None:
    """Order request (attach sent to the simulated order API, which keeps it with the trade)
    → the simulator's notification carries the same attach → 3 requests; and the cashier's
    own payment (sandbox.pay) credits through the same path."""
    from chalicelib.billing import orders, payments
    from chalicelib.dev import sandbox
    for n, pay_by_cashier in enumerate((False, True)):
        acc, rid = approved_registration(pdeps, clock.now(), name=f"学员{n}")
        order = orders.create_order(pdeps, acc.user_sub, rid, "wechatpay", False, clock.now())
        assert sandbox.wechat_attach_of(order["order_id"]) == f"reg={rid}"
        if pay_by_cashier:
            result = sandbox.pay(pdeps, order["order_id"], clock.now())
            assert (result["provider_status"], result["status"]) == (204, "paid")
        else:
            body, headers = sandbox.wechat_payment_notification(
                keys["wechatpay"], order["order_id"], order["amount_fen"], "4200ATTACH1",
                clock.now(), attach=sandbox.wechat_attach_of(order["order_id"]))
            with on_the_wire() as seen:
                assert payments.handle_wechatpay(pdeps, body, headers, clock.now()) == (204, None)
            ops = [op for op, _ in _business(seen)]
            assert ops == ["BatchGetItem", "TransactWriteItems", "UpdateItem"], seen
        assert get_reg(rid).payment_status == "paid"


def test_keys_left_unprocessed_by_the_batch_read_are_asked_for_again(pdeps: Any, clock: Any,
                                                                     monkeypatch: Any) -> None:
    """DynamoDB may answer a BatchGetItem with part of the keys in UnprocessedKeys (e.g.
    throttled): they are asked for again, and the order and registration still come back."""
    from chalicelib.billing import orders
    from chalicelib.billing import repository as billing_repository
    from chalicelib.platform.store.base import connection
    acc, rid = approved_registration(pdeps, clock.now())
    order = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, clock.now())
    real = connection()
    asked: list[dict[str, Any]] = []

    class Holding:
        def dispatch(self, op: str, kwargs: dict[str, Any]) -> dict[str, Any]:
            asked.append(kwargs["RequestItems"])
            answer = real.dispatch(op, kwargs)
            if len(asked) == 1:  # the first answer keeps the registration back
                table = next(t for t in kwargs["RequestItems"] if t.endswith("registrations"))
                answer["Responses"].pop(table, None)
                answer["UnprocessedKeys"] = {table: kwargs["RequestItems"][table]}
            return answer
    monkeypatch.setattr(billing_repository, "connection", lambda: Holding())
    found, reg = billing_repository.BillingRepository().order_with_registration(order["order_id"], rid)
    assert (found.order_id, reg.registration_id) == (order["order_id"], rid)
    assert len(asked) == 2 and [t.rsplit("-", 1)[1] for t in asked[1]] == ["registrations"]
