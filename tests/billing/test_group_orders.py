"""Group orders reserve only registrations linked to their unit, on the real table: the
condition is in the transaction, so a trainee who unlinks (or never linked) between the
unit's read and its write cannot be taken (issue 14, item 3)."""
from __future__ import annotations

from typing import Any

from tests.billing.conftest import approved_registration, get_reg, make_account
from tests.identity.unit_helpers import link_directly, verify_directly


def _group(unit_sub: str, rid: str, now: Any) -> Any:
    from chalicelib.billing.repository import Order
    from chalicelib.platform.store.base import new_id
    return Order(order_id=new_id("G"), edition_id="2026", kind="group", channel="bank_transfer",
                 owner_sub=unit_sub, registration_ids=[rid], amount_fen=49000, status="open",
                 official_card=False, unit_name="国家图书馆", payer_name="国家图书馆",
                 memo="在职培训+国家图书馆", created_at=now, queue="2026#open#bank_transfer")


def test_the_reservation_itself_requires_the_link(pdeps: Any, clock: Any) -> None:
    from chalicelib.billing.repository import repository
    now = clock.now()
    store = repository(pdeps)
    unit = make_account(kind="unit", unit_name="国家图书馆", credit_code="12100000400010398P")
    other = make_account(kind="unit", unit_name="国家图书馆", credit_code="91110000600037341L")
    _, rid = approved_registration(pdeps, now)
    # Never linked, or linked to another unit: the transaction does not commit
    assert not store.create_order(_group(unit.user_sub, rid, now), [rid], unit.user_sub, now)
    link_directly(rid, other.user_sub, now)
    assert not store.create_order(_group(unit.user_sub, rid, now), [rid], unit.user_sub, now)
    assert get_reg(rid).open_order_id is None
    # The unit it is linked to reserves it
    group = _group(other.user_sub, rid, now)
    assert store.create_order(group, [rid], other.user_sub, now)
    assert get_reg(rid).open_order_id == group.order_id


def test_a_trainee_who_unlinks_between_read_and_write_is_not_taken(pdeps: Any, clock: Any,
                                                                  monkeypatch: Any) -> None:
    from chalicelib.billing import group_orders
    from chalicelib.platform.errors import ConflictError
    from chalicelib.registration import service as registrations
    now = clock.now()
    unit = make_account(kind="unit", unit_name="国家图书馆", credit_code="12100000400010398P")
    verify_directly(unit, now)
    acc, rid = approved_registration(pdeps, now)
    link_directly(rid, unit.user_sub, now)
    real_create = group_orders.repository(pdeps).create_order

    def unlink_first(order: Any, ids: list[str], actor: str, at: Any) -> bool:
        registrations.unlink_unit(pdeps, acc.user_sub, rid, now)  # the trainee, meanwhile
        return bool(real_create(order, ids, actor, at))

    monkeypatch.setattr(group_orders.repository(pdeps), "create_order", unlink_first)
    try:
        group_orders.create_group_order(pdeps, unit.user_sub, [rid], now)
        raise AssertionError("the unlinked trainee was reserved")
    except ConflictError as exc:
        assert exc.code == "GROUP_RESERVATION_CONFLICT"
    reg = get_reg(rid)
    assert reg.open_order_id is None and reg.unit_id is None


def test_a_member_cannot_leave_once_the_unit_sent_its_voucher(pdeps: Any, clock: Any) -> None:
    """The unit's remittance may be on its way: the total stays what the unit paid; the unit
    can still release the member before finance confirms."""
    from chalicelib.billing import group_orders
    from chalicelib.platform.errors import ConflictError
    now = clock.now()
    unit = make_account(kind="unit", unit_name="国家图书馆", credit_code="12100000400010398P")
    verify_directly(unit, now)
    members = []
    for name in ("甲", "乙"):
        acc, rid = approved_registration(pdeps, now, name=name)
        link_directly(rid, unit.user_sub, now)
        members.append((acc, rid))
    order = group_orders.create_group_order(pdeps, unit.user_sub, [r for _, r in members], now)
    group_orders.presign_upload(pdeps, unit.user_sub, order["order_id"], "voucher", "image/png", 100, now)
    try:
        group_orders.leave_group(pdeps, members[0][0].user_sub, order["order_id"], now)
        raise AssertionError("left after the voucher")
    except ConflictError as exc:
        assert exc.code == "INVALID_STATE" and "联系单位" in exc.message
    released = group_orders.release_member(pdeps, unit.user_sub, order["order_id"], members[0][1], now)
    assert released["amount_fen"] == 49000
