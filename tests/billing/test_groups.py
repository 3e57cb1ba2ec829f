"""Group remittances: members checked and reserved atomically, races between two orders,
release before paying, vouchers through presigned uploads, and confirmation that marks
every member paid in resumable steps (groups larger than one DynamoDB transaction)."""
from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.platform.errors import ConflictError, ValidationError
from tests.billing.conftest import approved_registration as _registration, get_order, get_reg, make_account
from tests.identity.unit_helpers import link_directly, verify_directly

UNIT = "国家图书馆"


def _unit() -> Any:
    """A unit account staff verified (issue 14: a pending one builds no group order)."""
    from chalicelib.platform.clock import system_now
    account = make_account(kind="unit", name="国家图书馆财务处", unit_name=UNIT,
                           credit_code="12100000400010398P")
    verify_directly(account, system_now())
    return account


def approved_registration(deps: Any, now: Any, *, linked_to: Any = None, **kw: Any) -> Any:
    """A trainee's registration, linked to `linked_to` (their own choice) when given."""
    acc, rid = _registration(deps, now, **kw)
    if linked_to is not None:
        link_directly(rid, linked_to.user_sub, now)
    return acc, rid


def test_group_order_members_checked_and_reserved(pdeps: Any, clock: Any) -> None:
    from chalicelib.billing import group_orders, orders
    from chalicelib.registration.repository import Registration
    now = clock.now()
    unit = _unit()
    a_acc, a = approved_registration(pdeps, now, name="甲", unit_name="国家图书馆", linked_to=unit)
    b_acc, b = approved_registration(pdeps, now, name="乙", unit_name="国家 图书馆", linked_to=unit)  # spaces
    c_acc, c = approved_registration(pdeps, now, name="丙", unit_name="国家图书馆", linked_to=unit)
    _, other_unit = approved_registration(pdeps, now, name="丁", unit_name="上海图书馆", linked_to=unit)
    _, pending = approved_registration(pdeps, now, name="戊", unit_name=UNIT, approve=False, linked_to=unit)
    _, not_linked = approved_registration(pdeps, now, name="己", unit_name=UNIT)
    with pytest.raises(ConflictError) as exc:
        group_orders.create_group_order(pdeps, unit.user_sub, [a, other_unit, pending, not_linked, "nobody@example.com"], now)
    codes = [p["code"] for p in exc.value.details["problems"]]
    assert codes == ["UNIT_MISMATCH", "NOT_APPROVED", "NOT_LINKED", "NOT_LINKED"]
    assert get_reg(a).open_order_id is None  # nothing reserved
    Registration(registration_id=c).update(actions=[Registration.fee_fen.set(40000)])
    order = group_orders.create_group_order(pdeps, unit.user_sub, [a, b_acc.email.upper(), c, a], now)
    assert order["amount_fen"] == 49000 + 49000 + 40000 and order["memo"] == "在职培训+国家图书馆"
    assert order["bank_instructions"]["finance_email"] == "ztxhcaiwu@nlc.cn"
    assert sorted(order["registration_ids"]) == sorted([a, b, c])
    # A member of an unpaid group cannot pay individually...
    with pytest.raises(ConflictError) as exc:
        orders.create_order(pdeps, a_acc.user_sub, a, "alipay", False, now)
    assert exc.value.code == "IN_GROUP_ORDER"
    # ...and the trainee sees the group order that holds them
    assert [o["order_id"] for o in orders.list_mine(pdeps, a_acc.user_sub)["orders"]] == [order["order_id"]]
    # Releasing a member before paying frees them and lowers the amount
    released = group_orders.release_member(pdeps, unit.user_sub, order["order_id"], c, now)
    assert released["amount_fen"] == 98000 and get_reg(c).open_order_id is None
    # Finance confirms: every member paid at once; a repeat changes nothing
    from chalicelib.billing import payments
    done = payments.confirm_transfer(pdeps, order["order_id"], None, "GRP-1", 98000, "fin", now)
    assert done["status"] == "paid"
    assert [get_reg(r).payment_status for r in (a, b, c)] == ["paid", "paid", "unpaid"]
    assert payments.confirm_transfer(pdeps, order["order_id"], None, "GRP-1", 98000, "fin", now)["result"] == "already"
    # The voucher goes straight to S3, its type and size limited by the policy
    post = group_orders.presign_upload(pdeps, unit.user_sub, order["order_id"], "voucher", "image/png", 2048, now)
    assert post["fields"]["Content-Type"] == "image/png" and post["key"].endswith(".png")
    assert get_order(order["order_id"]).voucher_key == post["key"]
    # Not uploaded yet: finance sees no link; once the object is there, a short-lived one
    assert group_orders.upload_links(pdeps, order["order_id"], now)["voucher"] is None
    from chalicelib.platform.storage import storage
    storage(pdeps).put_object("vouchers", post["key"], b"\x89PNG", "image/png")
    assert post["key"] in group_orders.upload_links(pdeps, order["order_id"], now)["voucher"]["url"]
    with pytest.raises(ValidationError):
        group_orders.presign_upload(pdeps, unit.user_sub, order["order_id"], "voucher", "text/html", 10, now)
    with pytest.raises(ValidationError):
        group_orders.presign_upload(pdeps, unit.user_sub, order["order_id"], "voucher", "image/png",
                                    11 * 1024 * 1024, now)


def test_two_group_orders_racing_for_the_same_member(pdeps: Any, clock: Any) -> None:
    from chalicelib.billing import group_orders
    now = clock.now()
    # A registration is linked to one unit only: the race is two group orders of that unit
    # (two tabs) listing the same member.
    unit = _unit()
    units = [unit, unit]
    _, shared = approved_registration(pdeps, now, name="共", unit_name=UNIT, linked_to=unit)
    _, x = approved_registration(pdeps, now, name="甲", unit_name=UNIT, linked_to=unit)
    _, y = approved_registration(pdeps, now, name="乙", unit_name=UNIT, linked_to=unit)
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def build(unit: Any, mine: str) -> None:
        barrier.wait()
        try:
            results.append(group_orders.create_group_order(pdeps, unit.user_sub, [mine, shared], now)["order_id"])
        except ConflictError as exc:
            results.append(exc.code)
    threads = [threading.Thread(target=build, args=(units[0], x)), threading.Thread(target=build, args=(units[1], y))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [r for r in results if not r.startswith("GROUP_")]
    lost = [r for r in results if r.startswith("GROUP_")]
    # The loser either lost the write race or already saw the member taken
    assert len(won) == 1 and len(lost) == 1
    assert lost[0] in ("GROUP_RESERVATION_CONFLICT", "GROUP_MEMBERS_INVALID")
    assert get_reg(shared).open_order_id == won[0]
    holders = {get_reg(x).open_order_id, get_reg(y).open_order_id}
    assert holders == {won[0], None}  # the loser's own member was freed again


def test_large_group_reserved_in_two_steps_and_paid_resumably(pdeps: Any, clock: Any) -> None:
    from chalicelib.billing import group_orders, payments
    from chalicelib.billing.repository import Payment, repository
    from chalicelib.platform.store.base import new_id
    from chalicelib.registration.repository import Registration
    store = repository(pdeps)
    now = clock.now()
    unit = _unit()
    ids = [new_id("R") for _ in range(97)]  # one transaction holds 95: reserved in two steps
    with Registration.batch_write() as batch:
        for i, rid in enumerate(ids):
            batch.save(Registration(
                registration_id=rid, edition_id="2026", user_sub=f"s{i}", name=f"学员{i}",
                unit_name=UNIT, job_title="馆员", region="北京", phone="1", email=f"m{i}@x.cn",
                status="approved", payment_status="unpaid", tier="member", fee_fen=40000,
                submitted_at=now, edition_status="2026#approved", edition_unit="2026#国家图书馆",
                edition_email=f"2026#m{i}@x.cn", unit_id=unit.user_sub,
                edition_linked_unit=f"2026#{unit.user_sub}"))
    order = group_orders.create_group_order(pdeps, unit.user_sub, ids, now)
    assert order["status"] == "open" and order["amount_fen"] == 97 * 40000
    assert {r.open_order_id for r in Registration.batch_get(ids)} == {order["order_id"]}
    # The money is credited to the order; members then become paid in resumable batches
    held = store.get_order(order["order_id"])
    pay = Payment(payment_id=new_id("P"), order_id=held.order_id, edition_id="2026",
                  channel="bank_transfer", provider_txn_id="BIG-1", amount_fen=held.amount_fen,
                  disposition="credited", registration_ids=ids, received_at=now, actor="fin",
                  edition_disposition="2026#credited")
    assert store.credit_payment(held, pay, None, None, None, None, "fin", now)
    held.refresh()
    steps = []
    while True:  # as if each run were cut short after 40 members
        held.refresh()
        counts = payments.finish_group(pdeps, held, "fin", now, budget=40)
        steps.append(counts["changed"])
        if counts["changed"] == 0:
            break
    assert steps == [40, 40, 17, 0]
    assert {r.payment_status for r in Registration.batch_get(ids)} == {"paid"}
    assert store.get_order(order["order_id"]).members_pending == 0
