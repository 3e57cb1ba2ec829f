"""Billing's rules on the in-memory twin: which registrations can be paid, what money that
arrives does (a closed order, a second channel, a late or unapproved payment), refund
eligibility and its window to the second, group order amounts and releases, statement
matching and the jobs. No AWS: milliseconds each."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from chalicelib.billing import group_orders, jobs, orders, payments, reconciliation, refunds, rules
from chalicelib.platform.errors import ConflictError, ForbiddenError, ValidationError, WindowClosedError
from tests.billing.unit.conftest import COURSE_START, NOW, World

LEARNING_END = COURSE_START + timedelta(days=61)  # 2026-06-13 00:00 +08:00


def pay(world: World, order: dict, txn: str, channel: str | None = None,
        amount: int | None = None, now=NOW) -> dict:
    return payments.apply_payment(world.deps, channel=channel or order["channel"],
                                  order_id=order["order_id"], txn_id=txn,
                                  amount_fen=amount if amount is not None else order["amount_fen"],
                                  payer=None, actor="provider:test", now=now)


# --- which registrations can be paid ----------------------------------------------------------
def test_only_an_approved_unpaid_registration_takes_an_order(world: World) -> None:
    # Given a pending registration and an approved one
    pending = world.registration(status="pending")
    approved = world.registration()
    # Then the pending one is refused with the reason, the approved one gets its locked fee
    with pytest.raises(ConflictError) as exc:
        orders.create_order(world.deps, pending.user_sub, pending.registration_id, "alipay", False, NOW)
    assert exc.value.code == "REGISTRATION_NOT_APPROVED"
    order = orders.create_order(world.deps, approved.user_sub, approved.registration_id, "alipay",
                                False, NOW)
    assert (order["status"], order["amount_fen"], order["pay_url"]) == (
        "open", 49000, f"https://pay.example/{order['order_id']}")
    assert world.reg(approved.registration_id).open_order_id == order["order_id"]


def test_someone_elses_registration_is_reported_missing(world: World) -> None:
    reg = world.registration()
    with pytest.raises(Exception) as exc:
        orders.create_order(world.deps, "sub-other", reg.registration_id, "alipay", False, NOW)
    assert getattr(exc.value, "code", None) == "REGISTRATION_NOT_FOUND"


def test_the_same_channel_answers_the_open_order_another_closes_it_first(world: World) -> None:
    reg = world.registration()
    first = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "alipay", False, NOW)
    again = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "alipay", False, NOW)
    assert again["order_id"] == first["order_id"]
    switched = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "bank_transfer",
                                   False, NOW)
    assert switched["order_id"] != first["order_id"]
    closed = world.repo.get_order(first["order_id"])
    assert (closed.status, closed.close_reason) == ("closed", "channel_switched")
    assert world.providers["alipay"].closed == [first["order_id"]]  # the old page can't take money
    assert world.reg(reg.registration_id).open_order_id == switched["order_id"]
    assert switched["bank_instructions"]["memo"] == "在职培训+国家图书馆+李玥"


def test_the_payment_window_closes_to_the_second(world: World) -> None:
    reg = world.registration()
    closes = world.edition.window("payment").closes
    with pytest.raises(WindowClosedError):
        orders.create_order(world.deps, reg.user_sub, reg.registration_id, "alipay", False, closes)
    order = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "alipay", False,
                                closes - timedelta(seconds=1))
    assert order["status"] == "open"


# --- what money that arrives does ---------------------------------------------------------------
def test_a_payment_credits_the_order_once(world: World) -> None:
    reg = world.registration()
    order = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "alipay", False, NOW)
    assert pay(world, order, "T1")["result"] == "credited"
    assert pay(world, order, "T1")["result"] == "already"
    stored = world.reg(reg.registration_id)
    assert (stored.payment_status, stored.paid_order_id, stored.open_order_id) == (
        "paid", order["order_id"], None)
    assert world.repo.get_order(order["order_id"]).status == "paid"
    assert world.templates(reg.email) == ["payment.confirmed"]


def test_a_payment_for_a_closed_order_of_an_unpaid_registration_counts(world: World) -> None:
    # Given the trainee switched from Alipay to a bank transfer (the Alipay order closed)
    reg = world.registration()
    ali = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "alipay", False, NOW)
    bank = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "bank_transfer",
                               False, NOW)
    # When the old Alipay page is paid anyway
    assert pay(world, ali, "T-OLD")["result"] == "credited"
    # Then it pays the registration and the transfer order that held it closes
    assert world.repo.get_order(ali["order_id"]).status == "paid"
    other = world.repo.get_order(bank["order_id"])
    assert (other.status, other.close_reason) == ("closed", "paid_by_other_order")
    assert world.reg(reg.registration_id).paid_order_id == ali["order_id"]


def test_a_second_payment_is_recorded_and_refunded_by_its_route(world: World) -> None:
    reg = world.registration()
    ali = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "alipay", False, NOW)
    wx = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "wechatpay", False, NOW)
    assert pay(world, wx, "WX1")["result"] == "credited"
    dup = pay(world, ali, "ALI1")
    assert dup["result"] == "duplicate"
    [refund] = world.repo.refunds_of_order(ali["order_id"])
    assert (refund.kind, refund.status, refund.amount_fen) == ("duplicate", "done", 49000)
    assert [r.txn_id for r in world.providers["alipay"].refunds] == ["ALI1"]
    assert world.reg(reg.registration_id).payment_status == "paid"  # the credited one stands
    assert "payment.duplicate_refunded" in world.templates(reg.email)


def test_money_for_an_unapproved_or_late_registration_goes_back(world: World) -> None:
    reg = world.registration()
    order = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "alipay", False, NOW)
    late = world.edition.window("payment").closes
    assert pay(world, order, "LATE", now=late)["result"] == "late"
    rejected = world.registration()
    order2 = orders.create_order(world.deps, rejected.user_sub, rejected.registration_id, "alipay",
                                 False, NOW)
    stored = world.reg(rejected.registration_id)
    stored.status = "rejected"
    world.repo.add_registration(stored)
    assert pay(world, order2, "REJ")["result"] == "unapproved"
    assert {r.kind for o in (order, order2) for r in world.repo.refunds_of_order(o["order_id"])} == {
        "late", "unapproved"}


def test_a_wrong_amount_or_channel_is_kept_for_finance_not_credited(world: World) -> None:
    reg = world.registration()
    order = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "alipay", False, NOW)
    assert pay(world, order, "T1", amount=1)["result"] == "amount_mismatch"
    assert pay(world, order, "T2", channel="wechatpay")["result"] == "channel_mismatch"
    assert pay(world, order, "T1", amount=1)["result"] == "amount_mismatch"  # a replay
    flagged, _ = world.repo.page_open_notifications(10, None)
    assert sorted((n.problem, n.deliveries) for n in flagged) == [
        ("amount_mismatch", 2), ("channel_mismatch", 1)]
    assert world.reg(reg.registration_id).payment_status == "unpaid"


@pytest.mark.parametrize("order,reg,other,in_time,expected", [
    ("group-open", None, None, True, "credited"),
    ("group-closed", None, None, True, "duplicate"),
    ("open", None, None, True, "unapproved"),
    ("open", "pending", None, True, "unapproved"),
    ("open", "paid", None, True, "duplicate"),
    ("refunded", "approved", None, True, "duplicate"),
    ("closed", "approved", None, True, "credited"),
    ("open", "approved", None, False, "late"),
    ("open", "held-by-group", "group", True, "duplicate"),
    ("open", "held-by-other", "open", True, "credited"),
    ("open", "held-by-other", None, True, "duplicate"),  # a stale pointer
])
def test_what_a_payment_does(order, reg, other, in_time, expected) -> None:
    kind = "group" if order.startswith("group") else "individual"
    status = order.removeprefix("group-")
    o = SimpleNamespace(order_id="O1", kind=kind, status=status)
    r = None if reg is None else SimpleNamespace(
        status="pending" if reg == "pending" else "approved",
        payment_status="paid" if reg == "paid" else "unpaid",
        open_order_id="O2" if reg.startswith("held") else "O1")
    x = None if other is None else SimpleNamespace(kind="group" if other == "group" else "individual",
                                                   status="open")
    assert rules.disposition(o, r, x, in_time) == expected


# --- refunds ----------------------------------------------------------------------------------------
def _paid(world: World, channel: str = "alipay") -> tuple:
    reg = world.registration()
    order = orders.create_order(world.deps, reg.user_sub, reg.registration_id, channel, False, NOW)
    assert pay(world, order, f"T-{order['order_id']}")["result"] == "credited"
    return reg, order


def test_a_refund_until_course_start_to_the_second(world: World) -> None:
    reg, order = _paid(world)
    late_reg, late_order = _paid(world)
    with pytest.raises(WindowClosedError) as exc:
        refunds.request_refund(world.deps, late_reg.user_sub, late_order["order_id"], "晚了", COURSE_START)
    assert exc.value.code == "REFUND_WINDOW_CLOSED"
    done = refunds.request_refund(world.deps, reg.user_sub, order["order_id"], "有事",
                                  COURSE_START - timedelta(seconds=1))
    # Alipay answers at once: the refund is done, the order and registration refunded
    assert (done["status"], done["amount_fen"], done["kind"]) == ("done", 49000, "request")
    assert world.repo.get_order(order["order_id"]).status == "refunded"
    assert world.reg(reg.registration_id).payment_status == "refunded"
    assert "refund.done" in world.templates(reg.email)
    # A repeat answers the same refund; nothing moves twice
    again = refunds.request_refund(world.deps, reg.user_sub, order["order_id"], "有事",
                                   COURSE_START - timedelta(seconds=1))
    assert again["refund_id"] == done["refund_id"]
    assert len(world.providers["alipay"].refunds) == 1


def test_an_unpaid_order_cannot_be_refunded(world: World) -> None:
    reg = world.registration()
    order = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "alipay", False, NOW)
    with pytest.raises(ConflictError) as exc:
        refunds.request_refund(world.deps, reg.user_sub, order["order_id"], "想退", NOW)
    assert exc.value.code == "NOT_REFUNDABLE"
    with pytest.raises(ValidationError):
        refunds.request_refund(world.deps, reg.user_sub, order["order_id"], "  ", NOW)


def test_a_wechat_refund_waits_for_its_notification(world: World) -> None:
    reg, order = _paid(world, "wechatpay")
    refund = refunds.request_refund(world.deps, reg.user_sub, order["order_id"], "有事", NOW)
    assert refund["status"] == "processing"
    assert world.reg(reg.registration_id).payment_status == "refunding"  # can no longer learn
    note = SimpleNamespace(provider="wechatpay", txn_id=f"PR{refund['refund_id']}",
                           out_trade_no=order["order_id"], out_refund_no=refund["refund_id"],
                           amount_fen=49000, succeeded=True, raw={})
    assert refunds.complete_from_notification(world.deps, note, NOW)["result"] == "refund_done"
    assert refunds.complete_from_notification(world.deps, note, NOW)["result"] == "already"
    assert world.reg(reg.registration_id).payment_status == "refunded"
    assert world.repo.get_order(order["order_id"]).status == "refunded"


def test_a_provider_outage_leaves_the_refund_requested_for_the_job(world: World) -> None:
    reg, order = _paid(world)
    world.providers["alipay"].down = True
    refund = refunds.request_refund(world.deps, reg.user_sub, order["order_id"], "有事", NOW)
    assert refund["status"] == "requested"
    step = jobs.retry_stuck_refunds
    assert step(world.deps, world.edition, NOW, None, 60.0)[0]["changed"] == 0
    world.providers["alipay"].down = False
    assert step(world.deps, world.edition, NOW, None, 60.0)[0]["changed"] == 1
    assert world.reg(reg.registration_id).payment_status == "refunded"


def test_finance_completes_a_bank_transfer_refund_once_per_serial(world: World) -> None:
    reg = world.registration()
    order = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "bank_transfer",
                                False, NOW)
    payments.confirm_transfer(world.deps, order["order_id"], None, "SER-1", 49000, "fin", NOW)
    refund = refunds.request_refund(world.deps, reg.user_sub, order["order_id"], "有事", NOW)
    assert refund["status"] == "requested"
    assert "refund.requested_finance" in world.templates("ztxhcaiwu@nlc.cn")
    done = refunds.complete_by_finance(world.deps, refund["refund_id"], " out 1 ", "fin", NOW)
    assert (done["status"], done["bank_serial"]) == ("done", "OUT1")
    assert refunds.complete_by_finance(world.deps, refund["refund_id"], "OUT1", "fin", NOW)["status"] == "done"
    with pytest.raises(ConflictError) as exc:
        refunds.complete_by_finance(world.deps, refund["refund_id"], "OUT2", "fin", NOW)
    assert exc.value.code == "REFUND_ALREADY_DONE"


# --- group orders ------------------------------------------------------------------------------------
def test_a_group_order_is_the_sum_of_its_members_fees_and_releases_them(world: World) -> None:
    unit = world.unit("国家图书馆")
    a = world.registration(unit="国家图书馆", fee_fen=40000, linked_to=unit)
    b = world.registration(unit="国 家 图 书 馆", fee_fen=49000, linked_to=unit)  # same name once normalised
    group = group_orders.create_group_order(world.deps, unit.user_sub,
                                            [a.registration_id, b.email], NOW)
    assert (group["kind"], group["amount_fen"], group["memo"]) == ("group", 89000, "在职培训+国家图书馆")
    # A trainee cannot pay alone while the group holds them
    with pytest.raises(ConflictError) as exc:
        orders.create_order(world.deps, a.user_sub, a.registration_id, "alipay", False, NOW)
    assert exc.value.code == "IN_GROUP_ORDER"
    # Releasing a member takes their fee off; the last one closes the order
    left = group_orders.release_member(world.deps, unit.user_sub, group["order_id"],
                                       a.registration_id, NOW)
    assert (left["amount_fen"], left["registration_ids"]) == (49000, [b.registration_id])
    assert world.reg(a.registration_id).open_order_id is None
    last = group_orders.release_member(world.deps, unit.user_sub, group["order_id"],
                                       b.registration_id, NOW)
    assert (last["status"], last["close_reason"]) == ("closed", "last_member_released")
    assert world.reg(b.registration_id).open_order_id is None


def test_a_group_refuses_members_of_another_unit_or_not_payable(world: World) -> None:
    unit = world.unit("国家图书馆")
    other_unit = world.registration(unit="首都图书馆", linked_to=unit)
    pending = world.registration(status="pending", linked_to=unit)
    not_linked = world.registration()  # 国家图书馆, but its trainee never chose this unit
    with pytest.raises(ConflictError) as exc:
        group_orders.create_group_order(world.deps, unit.user_sub,
                                        [other_unit.registration_id, pending.registration_id,
                                         "R-none", not_linked.registration_id, not_linked.email],
                                        NOW)
    assert exc.value.code == "GROUP_MEMBERS_INVALID"
    assert [p["code"] for p in exc.value.details["problems"]] == [
        "UNIT_MISMATCH", "NOT_APPROVED", "NOT_LINKED", "NOT_LINKED", "NOT_LINKED"]
    assert world.repo.orders == {}  # nothing reserved
    # A unit staff have not verified yet cannot build a group at all
    pending_unit = world.unit("国家图书馆", verified=False)
    mine = world.registration(linked_to=pending_unit)
    with pytest.raises(ForbiddenError) as denied:
        group_orders.create_group_order(world.deps, pending_unit.user_sub, [mine.registration_id], NOW)
    assert denied.value.code == "UNIT_NOT_VERIFIED"


def test_a_confirmed_group_pays_every_member(world: World) -> None:
    unit = world.unit("国家图书馆")
    members = [world.registration(fee_fen=40000, linked_to=unit) for _ in range(3)]
    group = group_orders.create_group_order(world.deps, unit.user_sub,
                                            [m.registration_id for m in members], NOW)
    done = payments.confirm_transfer(world.deps, group["order_id"], None, "G-SER", 120000, "fin", NOW)
    assert (done["result"], done["status"]) == ("credited", "paid")
    assert {world.reg(m.registration_id).payment_status for m in members} == {"paid"}
    assert world.repo.get_order(group["order_id"]).members_pending == 0
    with pytest.raises(ConflictError) as exc:  # the serial pays one order only
        other = world.registration()
        bank = orders.create_order(world.deps, other.user_sub, other.registration_id,
                                   "bank_transfer", False, NOW)
        payments.confirm_transfer(world.deps, bank["order_id"], None, "g-ser", 49000, "fin", NOW)
    assert exc.value.code == "BANK_SERIAL_USED"


# --- bank statements ----------------------------------------------------------------------------------
def test_a_statement_line_matches_its_transfer_and_credits_once(world: World) -> None:
    reg = world.registration(name="王芳", unit="首都图书馆")
    order = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "bank_transfer",
                                False, NOW)
    csv = ("交易日期,收入金额,对方户名,对方账号,附言,交易流水号\n"
           "2026-04-06,490.00,王芳,6222,在职培训+首都图书馆+王芳,B0001\n"
           "2026-04-06,-10.00,手续费,,,B0002\n").encode()
    result = reconciliation.import_statement(world.deps, csv, "text/csv", "fin", NOW)
    [match] = result["matches"]
    assert (match["order_id"], match["confidence"], result["imported"]) == (order["order_id"], "high", 1)
    payments.confirm_transfer(world.deps, order["order_id"], match["line_id"], None, None, "fin", NOW)
    again = reconciliation.import_statement(world.deps, csv, "text/csv", "fin", NOW)
    assert again["matches"] == [] and again["known"] == 1
    assert again["already_credited"] == [{"line_id": match["line_id"], "bank_serial": "B0001",
                                          "order_id": order["order_id"]}]


# --- jobs ---------------------------------------------------------------------------------------------
def test_orders_that_can_no_longer_be_used_close_at_learning_end(world: World) -> None:
    reg = world.registration()
    order = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "wechatpay", False, NOW)
    step = jobs.close_unusable_orders
    assert step(world.deps, world.edition, COURSE_START, None, 60.0)[0]["changed"] == 0
    counts, cursor = step(world.deps, world.edition, LEARNING_END, None, 60.0)
    assert (counts["changed"], cursor) == (1, None)
    assert world.repo.get_order(order["order_id"]).close_reason == "payment_window_closed"
    assert step(world.deps, world.edition, LEARNING_END, None, 60.0)[0]["changed"] == 0


def test_a_job_resumes_from_the_cursor_it_left(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    made = []
    for _ in range(3):
        reg = world.registration()
        made.append(orders.create_order(world.deps, reg.user_sub, reg.registration_id,
                                        "bank_transfer", False, NOW))
    monkeypatch.setattr(jobs, "PAGE", 1)
    counts, cursor = jobs.close_unusable_orders(world.deps, world.edition, LEARNING_END, None, 0.0)
    assert cursor is not None  # stopped after one page, saying where
    total = counts["changed"]
    while cursor is not None:
        counts, cursor = jobs.close_unusable_orders(world.deps, world.edition, LEARNING_END,
                                                    cursor, 0.0)
        total += counts["changed"]
    assert total == 3 and {world.repo.get_order(o["order_id"]).status for o in made} == {"closed"}


def test_overdue_transfers_are_reminded_once(world: World) -> None:
    reg = world.registration()
    order = orders.create_order(world.deps, reg.user_sub, reg.registration_id, "bank_transfer",
                                False, NOW)
    due = world.repo.get_order(order["order_id"]).review_due_at
    step = jobs.remind_overdue_transfers
    assert step(world.deps, world.edition, due - timedelta(seconds=1), None, 60.0)[0]["changed"] == 0
    assert step(world.deps, world.edition, due, None, 60.0)[0]["changed"] == 1
    assert step(world.deps, world.edition, due + timedelta(days=1), None, 60.0)[0]["changed"] == 0
    assert world.templates("ztxhcaiwu@nlc.cn").count("transfer.overdue") == 1


def test_a_cursor_saved_before_this_release_still_resumes(world: World) -> None:
    """Runs checkpointed by the old walk kept `{"phase", "key"}` as JSON text."""
    reg = world.registration()
    orders.create_order(world.deps, reg.user_sub, reg.registration_id, "bank_transfer", False, NOW)
    old = '{"phase": 2, "key": null}'  # the bank-transfer `open` phase, from its start
    counts, cursor = jobs.close_unusable_orders(world.deps, world.edition, LEARNING_END, old, 60.0)
    assert (counts["changed"], cursor) == (1, None)
