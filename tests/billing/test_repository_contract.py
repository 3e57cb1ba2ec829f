"""The in-memory twin keeps the real billing repository's promises: the same calls give the
same answers against DynamoDB (moto) and against dicts, so the fast unit tests stand on the
same conditions as production."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.billing.repository import BillingRepository, Order, Payment, Refund, order_queue, refund_queue
from chalicelib.billing.states import OrderStatus, RefundStatus
from chalicelib.registration.repository import Registration
from tests.fakes import twin_and_real
from tests.billing.memory import InMemoryBillingRepository

T0 = datetime(2026, 4, 5, 2, 0, tzinfo=UTC)


repo = twin_and_real(InMemoryBillingRepository, BillingRepository)


def add_registration(repo: Any, rid: str, status: str = "approved") -> None:
    reg = Registration(registration_id=rid, edition_id="2026", user_sub=f"u-{rid}", name="李玥",
                       unit_name="国家图书馆", job_title="馆员", region="北京", phone="1",
                       email=f"{rid}@example.com", status=status, payment_status="unpaid",
                       tier="non_member", fee_fen=49000, submitted_at=T0,
                       edition_status=f"2026#{status}", edition_unit="2026#国家图书馆",
                       edition_email=f"2026#{rid}@example.com")
    if isinstance(repo, InMemoryBillingRepository):
        repo.add_registration(reg)
    else:
        reg.save()


def order(oid: str, rids: list[str], minute: int = 0, channel: str = "alipay",
          kind: str = "individual") -> Order:
    return Order(order_id=oid, edition_id="2026", kind=kind, channel=channel, owner_sub="u",
                 registration_ids=rids, amount_fen=49000 * len(rids), status="open",
                 unit_name="国家图书馆", payer_name="李玥", created_at=T0 + timedelta(minutes=minute),
                 queue=order_queue("2026", OrderStatus.OPEN, channel))


def payment(pid: str, oid: str, txn: str) -> Payment:
    return Payment(payment_id=pid, order_id=oid, edition_id="2026", channel="alipay",
                   provider_txn_id=txn, amount_fen=49000, disposition="credited",
                   registration_ids=["R1"], received_at=T0, actor="p",
                   edition_disposition="2026#credited")


def test_an_order_holds_its_registrations_until_it_closes(repo: Any) -> None:
    add_registration(repo, "R1")
    add_registration(repo, "R2", status="pending")
    assert repo.create_order(order("O1", ["R1"]), ["R1"], "u", T0)
    assert not repo.create_order(order("O2", ["R1"], 1), ["R1"], "u", T0)  # held already
    assert not repo.create_order(order("O3", ["R2"], 2), ["R2"], "u", T0)  # not approved
    assert repo.get_order("O2") is None and repo.get_order("O3") is None  # all or nothing
    assert repo.registration("R1").open_order_id == "O1"
    held = repo.get_order("O1")
    assert repo.close_order(held, "u", T0, "cancelled", ["R1"])
    assert not repo.close_order(held, "u", T0, "cancelled", ["R1"])  # no longer as it was read
    closed = repo.get_order("O1")
    assert (closed.status, closed.close_reason, closed.queue) == ("closed", "cancelled", "2026#closed#alipay")
    assert repo.registration("R1").open_order_id is None
    assert not repo.close_order(closed, "u", T0, "again", [])  # closed does not move to closed


def test_a_provider_transaction_pays_once(repo: Any) -> None:
    add_registration(repo, "R1")
    repo.create_order(order("O1", ["R1"]), ["R1"], "u", T0)
    held = repo.get_order("O1")
    assert repo.credit_payment(held, payment("P1", "O1", "T1"), "R1", "O1", None, None, "p", T0)
    assert repo.payment_of_txn("alipay", "T1") == "P1"
    assert repo.payments_of_txns("alipay", ["T1", "T9", "T1"]) == {"T1": "P1"}
    assert repo.payments_of_txns("wechatpay", ["T1"]) == {} and repo.payments_of_txns("alipay", []) == {}
    assert not repo.credit_payment(held, payment("P2", "O1", "T1"), "R1", "O1", None, None, "p", T0)
    reg = repo.registration("R1")
    assert (reg.payment_status, reg.paid_order_id, reg.open_order_id) == ("paid", "O1", None)
    assert [p.payment_id for p in repo.payments_of_order("O1")] == ["P1"]
    assert repo.get_order("O1").queue == "2026#paid#alipay"


def test_a_refund_moves_only_from_the_states_its_table_allows(repo: Any) -> None:
    add_registration(repo, "R1")
    repo.create_order(order("O1", ["R1"]), ["R1"], "u", T0)
    repo.credit_payment(repo.get_order("O1"), payment("P1", "O1", "T1"), "R1", "O1", None, None, "p", T0)
    refund = Refund(refund_id="F1", payment_id="P1", order_id="O1", edition_id="2026",
                    registration_id="R1", channel="alipay", provider_txn_id="T1",
                    amount_fen=49000, payment_amount_fen=49000, kind="request",
                    status="requested", reason="有事", requested_by="u", requested_at=T0,
                    queue=refund_queue("2026", RefundStatus.REQUESTED))
    paid = repo.get_order("O1")
    assert repo.create_refund(refund, paid, "R1", "u", T0)
    assert repo.refund_of("P1", "R1") == "F1"
    assert (repo.get_order("O1").status, repo.registration("R1").payment_status) == ("refunding", "refunding")
    assert not repo.create_refund(refund, paid, "R1", "u", T0)  # one refund per payment and member
    stored = repo.get_refund("F1")
    assert repo.move_refund(stored, RefundStatus.PROCESSING, "p", T0,
                            fields={"provider_refund_id": "PR1"})
    assert not repo.move_refund(stored, RefundStatus.PROCESSING, "p", T0)  # not requested any more
    assert repo.move_refund(repo.get_refund("F1"), RefundStatus.DONE, "p", T0,
                            fields={"completed_at": T0}, order=repo.get_order("O1"),
                            registration_id="R1")
    done = repo.get_refund("F1")
    assert (done.status, done.provider_refund_id, done.queue) == ("done", "PR1", "2026#done")
    assert (repo.get_order("O1").status, repo.registration("R1").payment_status) == ("refunded", "refunded")
    assert not repo.move_refund(done, RefundStatus.FAILED, "p", T0)  # done is final
    with pytest.raises(ValueError):
        repo.move_refund(done, RefundStatus.PROCESSING, "p", T0, expected=["done"])
    assert [r.refund_id for r in repo.page_refunds("2026", RefundStatus.DONE, 10, None)[0]] == ["F1"]


def test_queues_page_oldest_first_and_say_when_there_is_more(repo: Any) -> None:
    for i in range(3):
        add_registration(repo, f"R{i}")
        repo.create_order(order(f"O{i}", [f"R{i}"], minute=i), [f"R{i}"], "u", T0)
    first, token = repo.page_orders("2026", OrderStatus.OPEN, "alipay", 2, None)
    assert [o.order_id for o in first] == ["O0", "O1"] and token
    rest, last = repo.page_orders("2026", OrderStatus.OPEN, "alipay", 2, token)
    assert [o.order_id for o in rest] == ["O2"]
    if last is not None:  # DynamoDB may hand out a last key for a full final page
        assert repo.page_orders("2026", OrderStatus.OPEN, "alipay", 2, last)[0] == []
    assert [o.order_id for o in repo.orders_of_owner("u")] == ["O2", "O1", "O0"]  # newest first
    assert [o.order_id for o in repo.orders_in_queue("2026", "open", "alipay")] == ["O0", "O1", "O2"]


def test_the_order_and_a_registration_come_back_together_or_as_none(repo: Any) -> None:
    add_registration(repo, "R1")
    add_registration(repo, "R2")
    repo.create_order(order("O1", ["R1"]), ["R1"], "u", T0)
    found, reg = repo.order_with_registration("O1", "R1")
    assert (found.order_id, found.status, reg.registration_id, reg.open_order_id) == ("O1", "open", "R1", "O1")
    found, reg = repo.order_with_registration("O1", "R2")  # the caller checks they belong together
    assert (found.order_id, reg.registration_id, reg.open_order_id) == ("O1", "R2", None)
    assert repo.order_with_registration("O9", "R1")[0] is None
    assert repo.order_with_registration("O1", "R9")[1] is None
    assert repo.order_with_registration("O9", "R9") == (None, None)
