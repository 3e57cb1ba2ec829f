"""Orders (one open per registration, amount from the locked fee, channel switch), duplicate
payments refunded by their route, bank transfers confirmed by finance, refund requests at
the edge of course start, refund notifications replayed, concurrent refund requests."""
from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.platform.errors import ConflictError, WindowClosedError
from tests.conftest import at
from tests.billing.conftest import alipay_body, approved_registration, get_order, get_reg, payments_of


def _refunds(order_id: str) -> list[Any]:
    from chalicelib.billing.repository import Refund
    return list(Refund.by_order.query(order_id))


def _paid_alipay(pdeps: Any, clock: Any, keys: Any, **kw: Any) -> tuple[Any, str, dict]:
    from chalicelib.billing import orders, payments
    acc, rid = approved_registration(pdeps, clock.now(), **kw)
    order = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, clock.now())
    assert payments.handle_alipay(pdeps, alipay_body(keys, order, clock.now(), txn="2026" + rid), clock.now())[0] == 200
    return acc, rid, order


def test_one_open_order_per_registration_and_channel_switch(pdeps: Any, clock: Any) -> None:
    from chalicelib.billing import orders
    acc, rid = approved_registration(pdeps, clock.now())
    now = clock.now()
    first = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, now)
    # The same channel again returns the same open order
    assert orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, now)["order_id"] == first["order_id"]
    # Switching channel closes the unpaid order first
    bank = orders.create_order(pdeps, acc.user_sub, rid, "bank_transfer", True, now)
    assert get_order(first["order_id"]).status == "closed"
    assert get_reg(rid).open_order_id == bank["order_id"]
    assert bank["amount_fen"] == get_reg(rid).fee_fen == 49000
    assert bank["official_card"] is True
    ins = bank["bank_instructions"]
    assert ins["memo"] == "在职培训+国家图书馆+李玥"
    assert ins["account_no"] == "20000006591800105310002"
    # Submitted Sun 2026-04-05 (Qingming): Apr 7, 8, 9, 10, 13 -> reviewed by end of Apr 13
    assert ins["review_due_at"] == "2026-04-14T00:00:00+08:00"
    listed = orders.list_mine(pdeps, acc.user_sub)["orders"]
    assert sorted(o["status"] for o in listed) == ["closed", "open"]


def test_unapproved_or_foreign_registrations_cannot_order(pdeps: Any, clock: Any) -> None:
    from chalicelib.platform.errors import NotFoundError
    from chalicelib.billing import orders
    acc, rid = approved_registration(pdeps, clock.now(), approve=False)
    with pytest.raises(ConflictError) as exc:
        orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, clock.now())
    assert exc.value.code == "REGISTRATION_NOT_APPROVED"
    other, _ = approved_registration(pdeps, clock.now())
    with pytest.raises(NotFoundError):
        orders.create_order(pdeps, other.user_sub, rid, "alipay", False, clock.now())


def test_duplicate_payment_via_two_channels_is_refunded_automatically(
        pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.platform.mail import outbox as mail
    from chalicelib.billing import orders, payments
    from chalicelib.dev.sandbox import wechat_payment_notification
    acc, rid = approved_registration(pdeps, clock.now())
    now = clock.now()
    ali = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, now)
    wx = orders.create_order(pdeps, acc.user_sub, rid, "wechatpay", False, now)  # closes ali
    # The trainee pays the WeChat QR code...
    body, headers = wechat_payment_notification(keys["wechatpay"], wx["order_id"], 49000, "4200WX1", now)
    assert payments.handle_wechatpay(pdeps, body, headers, now) == (204, None)
    # ...and the old Alipay page too
    assert payments.handle_alipay(pdeps, alipay_body(keys, ali, now, txn="2026ALI1"), now) == (200, "success")
    reg = get_reg(rid)
    assert reg.payment_status == "paid" and reg.paid_order_id == wx["order_id"]
    [dup] = payments_of(ali["order_id"])
    assert dup.disposition == "duplicate"
    [refund] = _refunds(ali["order_id"])
    # Alipay refunds synchronously (sandbox): done, by its route, and the trainee is told
    assert (refund.channel, refund.status, refund.kind, refund.amount_fen) == ("alipay", "done", "duplicate", 49000)
    templates = [m["template"] for m in mail.list_mail(acc.email)]
    assert "payment.duplicate_refunded" in templates and "refund.done" in templates
    assert any(m["template"] == "payment.auto_refund_finance" for m in mail.list_mail("ztxhcaiwu@nlc.cn"))
    # A replay of the duplicate changes nothing
    assert payments.handle_alipay(pdeps, alipay_body(keys, ali, now, txn="2026ALI1"), now) == (200, "success")
    assert len(_refunds(ali["order_id"])) == 1


def test_money_for_a_closed_order_of_an_unpaid_registration_is_credited(
        pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import orders, payments
    acc, rid = approved_registration(pdeps, clock.now())
    now = clock.now()
    ali = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, now)
    bank = orders.create_order(pdeps, acc.user_sub, rid, "bank_transfer", False, now)
    # The trainee paid the old Alipay page after switching: it counts, the transfer order closes
    assert payments.handle_alipay(pdeps, alipay_body(keys, ali, now), now) == (200, "success")
    assert get_order(ali["order_id"]).status == "paid"
    assert get_order(bank["order_id"]).status == "closed"
    assert get_reg(rid).payment_status == "paid"


def test_withdrawn_and_rejected_registrations_money_is_refunded(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import orders, payments
    from chalicelib.registration import service as registrations
    from chalicelib.registration.repository import Registration
    acc, rid = approved_registration(pdeps, clock.now())
    now = clock.now()
    order = orders.create_order(pdeps, acc.user_sub, rid, "alipay", False, now)
    # Withdrawing closes the open order; money that still arrives goes back automatically
    registrations.withdraw(pdeps, rid, acc.user_sub, now)
    assert get_order(order["order_id"]).status == "closed"
    assert payments.handle_alipay(pdeps, alipay_body(keys, order, now), now) == (200, "success")
    [p] = payments_of(order["order_id"])
    assert p.disposition == "unapproved"
    [refund] = _refunds(order["order_id"])
    assert (refund.kind, refund.status) == ("unapproved", "done")
    assert get_reg(rid).payment_status == "unpaid"
    # A registration found rejected (e.g. corrected by an admin) is treated the same way
    acc2, rid2 = approved_registration(pdeps, now)
    order2 = orders.create_order(pdeps, acc2.user_sub, rid2, "bank_transfer", False, now)
    Registration(registration_id=rid2).update(actions=[Registration.status.set("rejected")])
    result = payments.confirm_transfer(pdeps, order2["order_id"], None, "SER-REJ-1", 49000, "fin", now)
    assert result["result"] == "unapproved"
    [refund2] = _refunds(order2["order_id"])
    assert (refund2.kind, refund2.status, refund2.channel) == ("unapproved", "requested", "bank_transfer")


def test_bank_transfer_confirmed_once_and_serial_unique(pdeps: Any, clock: Any) -> None:
    from chalicelib.billing import orders, payments
    now = clock.now()
    acc, rid = approved_registration(pdeps, now)
    acc2, rid2 = approved_registration(pdeps, now, name="王五")
    o1 = orders.create_order(pdeps, acc.user_sub, rid, "bank_transfer", False, now)
    o2 = orders.create_order(pdeps, acc2.user_sub, rid2, "bank_transfer", False, now)
    with pytest.raises(ConflictError) as exc:
        payments.confirm_transfer(pdeps, o1["order_id"], None, "SER-1", 100, "fin", now)
    assert exc.value.code == "AMOUNT_MISMATCH"
    assert payments.confirm_transfer(pdeps, o1["order_id"], None, "ser-1", 49000, "fin", now)["status"] == "paid"
    # The same confirmation again answers the same; the serial cannot pay another order
    assert payments.confirm_transfer(pdeps, o1["order_id"], None, "SER-1", 49000, "fin", now)["result"] == "already"
    with pytest.raises(ConflictError) as exc:
        payments.confirm_transfer(pdeps, o2["order_id"], None, "SER-1", 49000, "fin", now)
    assert exc.value.code == "BANK_SERIAL_USED"
    assert get_reg(rid2).payment_status == "unpaid"
    assert len(payments_of(o1["order_id"])) == 1


def test_refund_until_course_start_to_the_second(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import refunds
    acc, rid, order = _paid_alipay(pdeps, clock, keys)
    late_acc, late_rid, late_order = _paid_alipay(pdeps, clock, keys, name="赵六")
    # At 2026-04-12 23:59:59 (Beijing) the request is accepted and Alipay refunds at once
    clock.set(at("2026-04-12T23:59:59+08:00"))
    done = refunds.request_refund(pdeps, acc.user_sub, order["order_id"], "工作冲突", clock.now())
    assert done["status"] == "done"
    assert get_order(order["order_id"]).status == "refunded"
    reg = get_reg(rid)
    assert reg.payment_status == "refunded" and reg.refunded_at is not None
    # One second later, at course start, it is refused, naming the window and its close
    clock.set(at("2026-04-13T00:00:00+08:00"))
    with pytest.raises(WindowClosedError) as exc:
        refunds.request_refund(pdeps, late_acc.user_sub, late_order["order_id"], "太晚", clock.now())
    assert exc.value.code == "REFUND_WINDOW_CLOSED"
    assert exc.value.details["closes_at"] == "2026-04-13T00:00:00+08:00"
    assert "2026年4月12日 24:00" in exc.value.message  # the last day, as the notice says it
    assert get_reg(late_rid).payment_status == "paid" and _refunds(late_order["order_id"]) == []


def test_concurrent_refund_requests_make_one_refund(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import refunds
    acc, rid, order = _paid_alipay(pdeps, clock, keys)
    results: list[Any] = []
    errors: list[Any] = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        try:
            results.append(refunds.request_refund(pdeps, acc.user_sub, order["order_id"], "重复点击",
                                                  clock.now())["refund_id"])
        except ConflictError as exc:
            errors.append(exc.code)
    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(_refunds(order["order_id"])) == 1
    assert len(set(results)) == 1 and set(errors) <= {"STATE_CHANGED", "NOT_REFUNDABLE"}
    assert get_reg(rid).payment_status == "refunded"


def test_wechat_refund_completed_by_its_notification_and_replay_changes_nothing(
        pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.platform.mail import outbox as mail
    from chalicelib.billing import orders, payments, refunds
    from chalicelib.dev.sandbox import wechat_payment_notification, wechat_refund_notification
    from chalicelib.billing.repository import Refund
    acc, rid = approved_registration(pdeps, clock.now())
    now = clock.now()
    order = orders.create_order(pdeps, acc.user_sub, rid, "wechatpay", False, now)
    body, headers = wechat_payment_notification(keys["wechatpay"], order["order_id"], 49000, "4200RF", now)
    assert payments.handle_wechatpay(pdeps, body, headers, now) == (204, None)
    # The sandbox answers the refund call with PROCESSING and sends the signed notice
    done = refunds.request_refund(pdeps, acc.user_sub, order["order_id"], "身体原因", now)
    assert done["status"] == "done"
    refund = Refund.get(done["refund_id"])
    # Replaying WeChat's refund notification changes nothing and mails nobody again
    body, headers = wechat_refund_notification(keys["wechatpay"], refund, now)
    assert payments.handle_wechatpay(pdeps, body, headers, now) == (204, None)
    assert payments.handle_wechatpay(pdeps, body, headers, now) == (204, None)
    assert Refund.get(done["refund_id"]).version == refund.version
    assert [m["template"] for m in mail.list_mail(acc.email)].count("refund.done") == 1
    assert get_reg(rid).payment_status == "refunded"


def test_bank_transfer_refund_completed_by_finance_with_unique_serial(pdeps: Any, clock: Any) -> None:
    from chalicelib.billing import orders, payments, refunds
    now = clock.now()
    acc, rid = approved_registration(pdeps, now)
    order = orders.create_order(pdeps, acc.user_sub, rid, "bank_transfer", False, now)
    payments.confirm_transfer(pdeps, order["order_id"], None, "IN-1", 49000, "fin", now)
    refund = refunds.request_refund(pdeps, acc.user_sub, order["order_id"], "不能参加", now)
    assert refund["status"] == "requested"
    assert get_reg(rid).payment_status == "refunding"
    assert [r["refund_id"] for r in refunds.list_refunds(pdeps, "requested", 50, None)["refunds"]] == [refund["refund_id"]]
    done = refunds.complete_by_finance(pdeps, refund["refund_id"], "OUT-1", "fin", now)
    assert done["status"] == "done" and done["bank_serial"] == "OUT-1"
    assert refunds.complete_by_finance(pdeps, refund["refund_id"], "OUT-1", "fin", now)["status"] == "done"
    with pytest.raises(ConflictError):
        refunds.complete_by_finance(pdeps, refund["refund_id"], "OUT-2", "fin", now)
    assert get_order(order["order_id"]).status == "refunded"
    assert get_reg(rid).payment_status == "refunded"
