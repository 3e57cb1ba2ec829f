"""Races with real threads against moto (atomic per request, devtools/moto_atomic.py): each
ends with exactly one effect. Races the features test already are listed in
docs/hardening.md; these are the ones they did not cover."""
from __future__ import annotations

import threading
from typing import Any, Callable

from tests.billing.conftest import alipay_body, approved_registration, get_reg, make_account, payments_of

UNIT = "国家图书馆"


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at once (a barrier releases them together); results or exceptions."""
    results: list[Any] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # the loser's answer is part of what is checked
            results[i] = exc
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _refunds(order_id: str) -> list[Any]:
    from chalicelib.billing.repository import Refund
    return list(Refund.by_order.query(order_id))


def test_two_channels_paying_at_the_same_moment_credit_once_and_refund_the_other_once(
        pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import orders, payments
    from chalicelib.dev.sandbox import wechat_payment_notification
    for round_no in range(3):
        acc, rid = approved_registration(pdeps, clock.now(), name=f"竞{round_no}")
        now = clock.now()
        ali = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, now)
        wx = orders.create_order(pdeps, acc.user_sub, rid, "wechatpay", False, now)
        ali_body = alipay_body(keys, ali, now, txn=f"2026RACE{round_no}")
        wx_body, wx_headers = wechat_payment_notification(keys["wechatpay"], wx["order_id"], 49000,
                                                          f"4200RACE{round_no}", now)
        # When both providers' notifications (each delivered 3 times) arrive together
        calls = [lambda: payments.handle_alipay(pdeps, ali_body, now),
                 lambda: payments.handle_wechatpay(pdeps, wx_body, dict(wx_headers), now)] * 3
        results = race(*calls)
        assert not [r for r in results if isinstance(r, Exception)], results
        # Then the registration is paid by exactly one of them...
        reg = get_reg(rid)
        assert reg.payment_status == "paid" and reg.paid_order_id in (ali["order_id"], wx["order_id"])
        got = payments_of(ali["order_id"]) + payments_of(wx["order_id"])
        assert sorted(p.disposition for p in got) == ["credited", "duplicate"], [p.disposition for p in got]
        # ...and the other payment is refunded once, by its own route, for its full amount
        dup = next(p for p in got if p.disposition == "duplicate")
        refunds = _refunds(dup.order_id)
        assert len(refunds) == 1 and refunds[0].amount_fen == 49000
        assert refunds[0].channel == ("alipay" if dup.order_id == ali["order_id"] else "wechatpay")
        assert not _refunds(reg.paid_order_id)
        # A late replay of both changes nothing
        payments.handle_alipay(pdeps, ali_body, now)
        payments.handle_wechatpay(pdeps, wx_body, dict(wx_headers), now)
        assert len(payments_of(ali["order_id"]) + payments_of(wx["order_id"])) == 2
        assert len(_refunds(dup.order_id)) == 1


def test_a_group_order_racing_an_individual_order_holds_the_trainee_once(pdeps: Any, clock: Any) -> None:
    from chalicelib.platform.errors import ConflictError
    from chalicelib.billing import group_orders, orders
    from chalicelib.billing.repository import Order
    from tests.identity.unit_helpers import link_directly, verify_directly
    unit = make_account(kind="unit", name="国家图书馆财务处", unit_name=UNIT, credit_code="12100000400010398P")
    verify_directly(unit, clock.now())
    winners: set[str] = set()
    for _ in range(4):
        acc, rid = approved_registration(pdeps, clock.now(), unit_name=UNIT)
        link_directly(rid, unit.user_sub, clock.now())  # the trainee chose the unit
        now = clock.now()
        group, single = race(
            lambda: group_orders.create_group_order(pdeps, unit.user_sub, [rid], now),
            lambda: orders.create_order(pdeps, acc.user_sub, rid, "bank_transfer", False, now))
        # Exactly one order holds the trainee; the other request was refused, cleanly
        won = [r for r in (group, single) if isinstance(r, dict)]
        lost = [r for r in (group, single) if not isinstance(r, dict)]
        assert len(won) == 1 and len(lost) == 1, (group, single)
        assert isinstance(lost[0], ConflictError), lost[0]
        winner = won[0]["order_id"]
        winners.add("group" if winner.startswith("G") else "single")
        reg = get_reg(rid)
        assert reg.open_order_id == winner and reg.payment_status == "unpaid"
        # The loser left nothing open behind (a group that lost is closed, not holding seats)
        for owner in (unit.user_sub, acc.user_sub):
            for o in Order.by_owner.query(owner):
                if o.order_id != winner and rid in (o.registration_ids or []):
                    assert Order.get(o.order_id, consistent_read=True).status != "open", o.order_id
    assert winners  # (which side wins is up to the timing)
