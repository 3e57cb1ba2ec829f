"""The payment-side job steps: each run twice (the second changes nothing) and
interrupted half-way (resumed from its cursor)."""
from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any, Iterator

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


@contextmanager
def items_read() -> Iterator[list[tuple[str, str, int]]]:
    """(operation, table[/index], items the answer held) of each DynamoDB read on the wire."""
    from chalicelib.platform.store.base import connection
    events = connection().client.meta.events
    seen: list[tuple[str, str, int]] = []
    pending: list[tuple[str, str]] = []

    def before(params: dict[str, Any], model: Any, **_: Any) -> None:
        body = json.loads(params.get("body") or b"{}")
        where = body.get("TableName") or ",".join(sorted(body.get("RequestItems") or {}))
        pending.append((model.name, where + (f"/{body['IndexName']}" if body.get("IndexName") else "")))

    def after(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        op, where = pending.pop(0)
        if op in ("GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"):
            n = int(parsed.get("ScannedCount", parsed.get("Count", 0)) or 0) if op in ("Query", "Scan") \
                else int("Item" in parsed) if op == "GetItem" \
                else sum(len(v) for v in (parsed.get("Responses") or {}).values())
            seen.append((op, where, n))
    events.register("before-call.dynamodb.*", before)
    events.register("after-call.dynamodb.*", after)
    try:
        yield seen
    finally:
        events.unregister("before-call.dynamodb.*", before)
        events.unregister("after-call.dynamodb.*", after)


def test_lock_refunds_reads_the_open_orders_and_the_money_to_send_back_and_nothing_else(
        pdeps: Any, clock: Any, keys: Any, monkeypatch: Any) -> None:
    """Course start over many registrations: the job finds the open order of a registration
    found rejected and the money held for a withdrawn one (its refund left `requested` by a
    provider outage), reads the open orders, their registrations and the refunds waiting,
    and no registration it does not hold; a second run changes nothing."""
    from chalicelib.billing import orders, payments
    from chalicelib.billing.jobs import lock_refunds_and_refund_unapproved
    from chalicelib.billing.providers import ProviderError, provider
    from chalicelib.billing.repository import Refund
    from chalicelib.editions import service as editions
    from chalicelib.registration import service as registrations
    from chalicelib.registration.repository import Registration
    edition = editions.get_current(pdeps)
    now = clock.now()
    # paid trainees, pending and rejected ones holding nothing: never read by the job
    for i in range(4):
        acc, rid = approved_registration(pdeps, now, name=f"交费{i}")
        paid = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, now)
        assert payments.handle_alipay(pdeps, alipay_body(keys, paid, now, txn=f"TPAID{i}"), now)[0] == 200
    for i in range(3):
        approved_registration(pdeps, now, name=f"待审{i}", approve=False)
    for i in range(2):
        _, rid = approved_registration(pdeps, now, name=f"驳回{i}", approve=False)
        registrations.reject(pdeps, rid, "资料不符", "reviewer", now)
    # an approved trainee's open order: looked at, kept (orders stay usable until learning ends)
    keep_acc, keep_rid = approved_registration(pdeps, now, name="在付")
    kept = orders.create_order(pdeps, keep_acc.user_sub, keep_rid, "wechatpay", False, now)
    # an open order whose registration is found rejected (changed outside its transitions)
    bad_acc, bad_rid = approved_registration(pdeps, now, name="错改")
    bad = orders.create_order(pdeps, bad_acc.user_sub, bad_rid, "bank_transfer", False, now)
    Registration(registration_id=bad_rid).update(actions=[
        Registration.status.set("rejected"), Registration.edition_status.set("2026#rejected")])
    # money for a withdrawn registration: recorded with its refund, the provider was down
    wd_acc, wd_rid = approved_registration(pdeps, now, name="撤回")
    wd = orders.create_order(pdeps, wd_acc.user_sub, wd_rid, "alipay", False, now)
    registrations.withdraw(pdeps, wd_rid, wd_acc.user_sub, now)
    adapter = provider(pdeps, "alipay")

    def down(*a: Any, **k: Any) -> Any:
        raise ProviderError("timeout")
    monkeypatch.setattr(adapter, "refund", down)
    assert payments.handle_alipay(pdeps, alipay_body(keys, wd, now, txn="TWD1"), now)[0] == 200
    [held] = list(Refund.by_order.query(wd["order_id"]))
    assert (held.kind, held.status) == ("unapproved", "requested")
    monkeypatch.undo()

    start = at("2026-04-13T00:00:00+08:00")
    with items_read() as reads:
        first, calls = _run(lock_refunds_and_refund_unapproved, pdeps, edition, start, budget_s=0.0)
    assert calls > 1 and first["changed"] == 2  # resumed from its cursor after every page
    assert get_order(bad["order_id"]).status == "closed" and get_reg(bad_rid).open_order_id is None
    assert Refund.get(held.refund_id).status == "done"
    assert get_order(kept["order_id"]).status == "open"
    # what it read: the four order queues (the wechat and the bank-transfer order), the
    # registration each holds, the refund waiting: 5 items; no registration it does not hold
    business = [(op, where.split("-", 1)[1], n) for op, where, n in reads if "editions" not in where]
    assert business == [
        ("Query", "orders/by_queue", 0), ("Query", "orders/by_queue", 1),
        ("BatchGetItem", "registrations", 1), ("Query", "orders/by_queue", 1),
        ("BatchGetItem", "registrations", 1), ("Query", "orders/by_queue", 0),
        ("Query", "refunds/by_queue", 1)], business
    again, _ = _run(lock_refunds_and_refund_unapproved, pdeps, edition, start)
    assert again == {"changed": 0, "seen": 1}  # only the kept open order is left to look at


def test_a_cursor_of_the_old_walk_starts_over(pdeps: Any, clock: Any) -> None:
    from chalicelib.billing.jobs import lock_refunds_and_refund_unapproved
    from chalicelib.editions import service as editions
    edition = editions.get_current(pdeps)
    old = {"phase": 1, "token": "eyJyZWdpc3RyYXRpb25faWQiOiB7IlMiOiAiUjEifX0="}  # a registrations page
    counts, cursor = lock_refunds_and_refund_unapproved(pdeps, edition, clock.now(), old, 60.0)
    assert cursor is None and counts == {"changed": 0, "seen": 0}


def test_the_conditions_the_job_relies_on(pdeps: Any, clock: Any, keys: Any) -> None:
    """Why the job need not read the registrations: one that is paid or held by an open
    order cannot leave `approved` (withdrawal needs it unpaid and held by none, rejection
    needs it pending), and money is credited only to an approved one."""
    from chalicelib.billing import orders, payments
    from chalicelib.platform.errors import ConflictError
    from chalicelib.registration import service as registrations
    import pytest
    now = clock.now()
    acc, rid = approved_registration(pdeps, now)
    order = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, now)
    with pytest.raises(ConflictError):
        registrations.reject(pdeps, rid, "资料不符", "reviewer", now)
    assert payments.handle_alipay(pdeps, alipay_body(keys, order, now, txn="TCOND1"), now)[0] == 200
    with pytest.raises(ConflictError):
        registrations.withdraw(pdeps, rid, acc.user_sub, now)
    with pytest.raises(ConflictError):
        registrations.reject(pdeps, rid, "资料不符", "reviewer", now)
    assert get_reg(rid).status == "approved" and get_reg(rid).payment_status == "paid"
    # the registration's own conditions, below the service: a held one is not withdrawn
    acc2, rid2 = approved_registration(pdeps, now, name="闻一")
    orders.create_order(pdeps, acc2.user_sub, rid2, "bank_transfer", False, now)
    from chalicelib.registration.repository import RegistrationRepository
    assert not RegistrationRepository().withdraw(get_reg(rid2), acc2.user_sub, now)
    assert get_reg(rid2).status == "approved"


def test_close_unusable_orders_keeps_usable_ones_until_learning_ends(pdeps: Any, clock: Any,
                                                                     keys: Any) -> None:
    from chalicelib.editions import service as editions
    from chalicelib.billing import orders
    from chalicelib.billing.jobs import close_unusable_orders
    from chalicelib.registration.repository import Registration
    edition = editions.get_current(pdeps)
    now = clock.now()
    made = []
    for i in range(2):
        acc, rid = approved_registration(pdeps, now, name=f"学员{i}")
        made.append((acc, rid, orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, now)))
    Registration(registration_id=made[1][1]).update(actions=[
        Registration.status.set("rejected"), Registration.edition_status.set("2026#rejected")])
    start = at("2026-04-13T00:00:00+08:00")
    assert _run(close_unusable_orders, pdeps, edition, start)[0]["changed"] == 1
    assert get_order(made[0][2]["order_id"]).status == "open"
    assert get_order(made[1][2]["order_id"]).status == "closed"
    end = at("2026-06-13T00:00:00+08:00")
    closed, _ = _run(close_unusable_orders, pdeps, edition, end, budget_s=0.0)
    assert closed["changed"] == 1 and get_order(made[0][2]["order_id"]).status == "closed"
    assert get_reg(made[0][1]).open_order_id is None
    assert _run(close_unusable_orders, pdeps, edition, end)[0]["changed"] == 0


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
