"""Faults at every write of payment confirmation (a provider's notification) and of a
refund: DynamoDB throttling, a conditional failure, or the Lambda dying right there. After
the provider's retry the state converges: one payment, registration paid, no refund, the
mail sent once; nothing half-written in between."""
from __future__ import annotations

import time
from typing import Any

import pytest

from tests.faults.injector import at_write, inject, run_faulted
from tests.billing.conftest import alipay_body, approved_registration, get_order, get_reg, payments_of

KINDS = ("throttle", "conditional", "interrupt")


class LambdaContext:
    """What the webhook route passes: in-progress idempotency records expire with it."""

    def get_remaining_time_in_millis(self) -> int:
        return 50


def _refunds(order_id: str) -> list[Any]:
    from chalicelib.billing.repository import Refund
    return list(Refund.by_order.query(order_id))


def _new_order(pdeps: Any, clock: Any, keys: Any, n: int) -> tuple[Any, str, dict[str, Any], bytes]:
    from chalicelib.billing import orders
    acc, rid = approved_registration(pdeps, clock.now(), name=f"故{n}")
    order = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, clock.now())
    return acc, rid, order, alipay_body(keys, order, clock.now(), txn=f"2026FAULT{n:04d}")


def _deliver(pdeps: Any, body: bytes, now: Any) -> Any:
    from chalicelib.billing import payments
    return payments.handle_alipay(pdeps, body, now, LambdaContext())


def _consistent(order_id: str, rid: str) -> None:
    """Nothing half-written: the order, the registration and the payment agree."""
    order, reg, paid = get_order(order_id), get_reg(rid), payments_of(order_id)
    if order.status == "paid":
        assert reg.payment_status == "paid" and reg.paid_order_id == order_id
        assert [p.disposition for p in paid] == ["credited"]
    else:
        assert order.status == "open" and reg.payment_status == "unpaid" and paid == []
        assert reg.open_order_id == order_id


def test_payment_confirmation_converges_after_a_fault_at_every_write(pdeps: Any, clock: Any,
                                                                     keys: Any) -> None:
    from chalicelib.platform.mail import outbox as mail
    # The happy path, recorded: which writes does a confirmation make?
    acc, rid, order, body = _new_order(pdeps, clock, keys, 0)
    with inject(pdeps) as rec:
        assert _deliver(pdeps, body, clock.now()) == (200, "success")
    writes = rec.writes()
    assert len(writes) >= 2, rec.calls
    cases = 0
    for k, (_, op) in enumerate(writes):
        for kind in KINDS:
            if kind == "conditional" and not op.endswith("TransactWriteItems"):
                # A lost condition is only real on a transition; on an outbox or guard put
                # (attribute_not_exists on a deterministic id) it means "already there".
                continue
            cases += 1
            acc, rid, order, body = _new_order(pdeps, clock, keys, cases)
            # When the k-th write fails (or the Lambda dies there)
            with inject(pdeps, at_write(k, kind)) as inj:
                first = run_faulted(lambda: _deliver(pdeps, body, clock.now()))
            assert inj.injected, (k, kind)
            # Then nothing is half-written, and the provider is told to retry unless it is done
            _consistent(order["order_id"], rid)
            if get_order(order["order_id"]).status != "paid":
                assert first != (200, "success"), (k, kind, first)
            # When the provider retries (after the dead invocation's in-progress record expired)
            time.sleep(0.06)
            assert _deliver(pdeps, body, clock.now()) == (200, "success"), (k, kind, inj.injected)
            # Then: paid once, nothing refunded, the trainee's mail sent once
            _consistent(order["order_id"], rid)
            assert get_reg(rid).payment_status == "paid", (k, kind)
            assert _refunds(order["order_id"]) == []
            mail.send_pending(pdeps, clock.now())
            confirmed = [m for m in mail.list_mail(acc.email) if m["template"] == "payment.confirmed"]
            assert [m["status"] for m in confirmed] == ["sent"], (k, kind, inj.injected, confirmed)
    assert cases >= 2 * len(writes)
    print(f"\npayment confirmation: {len(writes)} writes, {cases} faulted runs")


def test_a_throttled_webhook_is_a_503_the_provider_retries_not_a_500(api: Any, pdeps: Any, clock: Any,
                                                                      keys: Any) -> None:
    acc, rid, order, body = _new_order(pdeps, clock, keys, 9000)
    with inject(pdeps, lambda i, name: "throttle" if name.endswith("TransactWriteItems") else None):
        r = api.call("POST", "/webhooks/alipay", body=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 503 and r.body != b"success"  # anything but `success`: Alipay retries
    _consistent(order["order_id"], rid)
    r = api.call("POST", "/webhooks/alipay", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and get_reg(rid).payment_status == "paid"


def test_a_throttled_read_of_order_and_registration_is_a_503_too(api: Any, pdeps: Any, clock: Any,
                                                                 keys: Any) -> None:
    """The one BatchGetItem (order + registration, named by the notice's passback_params)
    throttled: nothing written, 503 so Alipay retries; the retry credits."""
    acc, rid, order, body = _new_order(pdeps, clock, keys, 9100)
    assert b"passback_params=reg%253D" in body
    with inject(pdeps, lambda i, name: "throttle" if name.endswith(".BatchGetItem") else None) as inj:
        r = api.call("POST", "/webhooks/alipay", body=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert inj.injected and r.status_code == 503 and r.body != b"success"
    assert not [c for c in inj.calls if c.split(".")[1] in ("TransactWriteItems", "PutItem", "UpdateItem")]
    _consistent(order["order_id"], rid)
    r = api.call("POST", "/webhooks/alipay", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and get_reg(rid).payment_status == "paid"


@pytest.mark.parametrize("kind", ["throttle", "interrupt"])
def test_refund_request_converges_after_a_fault_at_every_write(pdeps: Any, clock: Any, keys: Any,
                                                               kind: str) -> None:
    """An Alipay refund (the sandbox provider answers at once): one refund, money back once."""
    from chalicelib.billing import refunds
    from chalicelib.billing.jobs import retry_stuck_refunds
    from chalicelib.editions import service as editions
    acc, rid, order, body = _new_order(pdeps, clock, keys, 5000)
    assert _deliver(pdeps, body, clock.now()) == (200, "success")
    with inject(pdeps) as rec:
        refunds.request_refund(pdeps, acc.user_sub, order["order_id"], "有事", clock.now())
    n = len(rec.writes())
    for k in range(n):
        acc, rid, order, body = _new_order(pdeps, clock, keys, 5001 + k)
        assert _deliver(pdeps, body, clock.now()) == (200, "success")
        with inject(pdeps, at_write(k, kind)) as inj:
            run_faulted(lambda: refunds.request_refund(pdeps, acc.user_sub, order["order_id"], "有事", clock.now()))
        assert inj.injected
        assert len(_refunds(order["order_id"])) <= 1
        # The trainee asks again, and the job retries refunds stuck at the provider
        again = run_faulted(lambda: refunds.request_refund(pdeps, acc.user_sub, order["order_id"], "有事",
                                                           clock.now()))
        retry_stuck_refunds(pdeps, editions.get_current(pdeps), clock.now(), None, 60.0) \
            if _stuck(order["order_id"]) else None
        [refund] = _refunds(order["order_id"])
        assert refund.status == "done" and refund.amount_fen == 49000, (k, kind, inj.injected, again, refund.status)
        assert get_reg(rid).payment_status == "refunded" and get_order(order["order_id"]).status == "refunded"
    print(f"\nrefund ({kind}): {n} writes, {n} faulted runs")


def _stuck(order_id: str) -> bool:
    return any(r.status == "requested" for r in _refunds(order_id))
