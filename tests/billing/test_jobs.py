"""The payment-side job steps: each run twice (the second changes nothing) and
interrupted half-way (resumed from its cursor)."""
from __future__ import annotations

from typing import Any

from tests.conftest import at
from tests.billing.conftest import alipay_body, approved_registration, get_order, get_reg


def _run(step: Any, deps: Any, edition: Any, now: Any, budget_s: float = 60.0) -> tuple[dict, int]:
    total = {"changed": 0, "seen": 0}
    cursor, calls = None, 0
    while True:
        counts, cursor = step(deps, edition, now, cursor, budget_s)
        calls += 1
        total = {k: total[k] + counts[k] for k in total}
        if cursor is None:
            return total, calls


def test_remind_overdue_transfers_once_per_order(pdeps: Any, clock: Any) -> None:
    from chalicelib.editions import service as editions
    from chalicelib.platform.mail import outbox as mail
    from chalicelib.billing import orders
    from chalicelib.billing.jobs import remind_overdue_transfers
    edition = editions.get_current(pdeps)
    acc, rid = approved_registration(pdeps, clock.now())
    order = orders.create_order(pdeps, acc.user_sub, rid, "bank_transfer", False, clock.now())
    assert order["review_due_at"] == "2026-04-14T00:00:00+08:00"
    assert _run(remind_overdue_transfers, pdeps, edition, at("2026-04-13T23:59:59+08:00"))[0]["changed"] == 0
    assert _run(remind_overdue_transfers, pdeps, edition, at("2026-04-14T00:00:00+08:00"))[0]["changed"] == 1
    assert _run(remind_overdue_transfers, pdeps, edition, at("2026-04-15T09:30:00+08:00"))[0]["changed"] == 0
    sent = [m for m in mail.list_mail("ztxhcaiwu@nlc.cn") if m["template"] == "transfer.overdue"]
    assert len(sent) == 1 and order["order_id"] in sent[0]["subject"]


def test_close_unusable_orders_and_lock_refunds(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.editions import service as editions
    from chalicelib.billing import orders, payments
    from chalicelib.billing.jobs import close_unusable_orders, lock_refunds_and_refund_unapproved
    from chalicelib.billing.repository import Refund
    from chalicelib.registration.repository import Registration
    edition = editions.get_current(pdeps)
    now = clock.now()
    made = []
    for i in range(4):
        acc, rid = approved_registration(pdeps, now, name=f"学员{i}")
        made.append((acc, rid, orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, now)))
    # #0 stays approved and unpaid; #1 is found rejected with its order open;
    # #2 paid and then found rejected (corrected by an admin); #3 paid and approved.
    for i in (2, 3):
        order = made[i][2]
        assert payments.handle_alipay(pdeps, alipay_body(keys, order, now, txn=f"T{i}"), now)[0] == 200
    for i in (1, 2):
        Registration(registration_id=made[i][1]).update(actions=[
            Registration.status.set("rejected"), Registration.edition_status.set("2026#rejected")])
    start = at("2026-04-13T00:00:00+08:00")
    # Course start: interrupted after every page (budget 0), resumed from the cursor
    first, calls = _run(lock_refunds_and_refund_unapproved, pdeps, edition, start, budget_s=0.0)
    assert calls > 1 and first["changed"] == 2
    assert get_order(made[1][2]["order_id"]).status == "closed"
    assert get_reg(made[2][1]).payment_status == "refunded"
    [refund] = list(Refund.by_order.query(made[2][2]["order_id"]))
    assert refund.status == "done" and refund.channel == "alipay"
    again, _ = _run(lock_refunds_and_refund_unapproved, pdeps, edition, start)
    assert again["changed"] == 0
    # Orders of approved registrations stay usable until the end of learning
    assert _run(close_unusable_orders, pdeps, edition, start)[0]["changed"] == 0
    assert get_order(made[0][2]["order_id"]).status == "open"
    end = at("2026-06-13T00:00:00+08:00")
    closed, _ = _run(close_unusable_orders, pdeps, edition, end, budget_s=0.0)
    assert closed["changed"] == 1 and get_order(made[0][2]["order_id"]).status == "closed"
    assert get_reg(made[0][1]).open_order_id is None
    assert _run(close_unusable_orders, pdeps, edition, end)[0]["changed"] == 0
    assert get_reg(made[3][1]).payment_status == "paid"


def test_refund_left_requested_by_a_provider_outage_is_retried(pdeps: Any, clock: Any, keys: Any,
                                                               monkeypatch: Any) -> None:
    from chalicelib.billing.providers import ProviderError, provider
    from chalicelib.editions import service as editions
    from chalicelib.billing import orders, payments, refunds
    from chalicelib.billing.jobs import retry_stuck_refunds
    edition = editions.get_current(pdeps)
    now = clock.now()
    acc, rid = approved_registration(pdeps, now)
    order = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, now)
    assert payments.handle_alipay(pdeps, alipay_body(keys, order, now), now)[0] == 200
    adapter = provider(pdeps, "alipay")

    def down(*a: Any, **k: Any) -> Any:
        raise ProviderError("timeout")
    monkeypatch.setattr(adapter, "refund", down)
    refund = refunds.request_refund(pdeps, acc.user_sub, order["order_id"], "有事", now)
    assert refund["status"] == "requested" and get_reg(rid).payment_status == "refunding"
    assert _run(retry_stuck_refunds, pdeps, edition, now)[0]["changed"] == 0  # still down
    monkeypatch.undo()
    assert _run(retry_stuck_refunds, pdeps, edition, now)[0]["changed"] == 1
    assert get_reg(rid).payment_status == "refunded"
    assert _run(retry_stuck_refunds, pdeps, edition, now)[0]["changed"] == 0
