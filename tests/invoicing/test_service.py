"""Issuing, numbering and reversing invoices against the embedded AWS (service level)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from chalicelib.platform.clock import parse_instant
from chalicelib.platform.errors import ConflictError, NotFoundError, ValidationError, WindowClosedError
from chalicelib.invoicing import service as invoices
from chalicelib.platform.store.audit import history
from chalicelib.invoicing.repository import InvoiceCounter
from tests.invoicing.factories import BAD_CODE, UNIT_CODE, BrokenIssuer, FastIssuer, make_account, make_member_refund, make_order

PAID = parse_instant("2026-01-31T09:00:00+08:00")


@pytest.fixture
def issuer(deps):
    fake = FastIssuer()
    deps.extras["invoice_issuer"] = fake
    return fake


@pytest.fixture
def trainee(deps):
    return make_account("张三")


def test_issue_at_last_second_of_window_then_refused_a_second_later(deps, issuer, trainee):
    # Given two orders paid 2026-01-31 (window ends with 02-28)
    first = make_order(trainee.user_sub, PAID, official_card=True)
    second = make_order(trainee.user_sub, PAID)
    # When the first asks at the last second, the second one second later
    last = parse_instant("2026-02-28T23:59:59+08:00")
    inv = invoices.request_invoice(deps, trainee.user_sub, first.order_id, "张三", None, last)
    with pytest.raises(WindowClosedError) as info:
        invoices.request_invoice(deps, trainee.user_sub, second.order_id, "张三", None,
                                 last + timedelta(seconds=1))
    # Then the first is issued (培训费, the order amount, 公务卡 recorded), the second refused
    assert inv["item"] == "培训费" and inv["amount_fen"] == 49000 and inv["official_card"] is True
    assert inv["invoice_no"] == "2026-000001" and inv["kind"] == "blue" and inv["pdf_ready"]
    assert info.value.details["window"] == "invoice"
    assert info.value.details["closes_at"] == "2026-03-01T00:00:00+08:00"
    assert issuer.issued[0].official_card is True and issuer.issued[0].buyer_title == "张三"
    # and a refused request used no number
    assert InvoiceCounter.get("2026").last_no == 1


def test_one_invoice_per_order_even_when_requests_race(deps, issuer, trainee):
    order = make_order(trainee.user_sub, PAID)
    now = PAID + timedelta(days=1)
    results: list = []

    def ask() -> None:
        try:
            results.append(invoices.request_invoice(deps, trainee.user_sub, order.order_id,
                                                    "张三", None, now))
        except ConflictError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    issued = [r for r in results if isinstance(r, dict)]
    assert len(issued) == 1, results
    assert sorted(r for r in results if isinstance(r, str)) == ["INVOICE_EXISTS"] * 5
    assert [i["invoice_id"] for i in invoices.list_mine(trainee.user_sub)["invoices"]] == \
        [issued[0]["invoice_id"]]
    # the losers did not consume numbers
    assert InvoiceCounter.get("2026").last_no == 1


def test_numbers_are_gapless_and_unique_under_concurrency(deps, issuer):
    owners = [make_account("张三") for _ in range(8)]
    orders = [make_order(o.user_sub, PAID) for o in owners]
    now = PAID + timedelta(days=2)
    numbers: list[str] = []

    def ask(i: int) -> None:
        numbers.append(invoices.request_invoice(deps, owners[i].user_sub, orders[i].order_id,
                                                "张三", None, now)["invoice_no"])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == [f"2026-{n:06d}" for n in range(1, 9)]


def test_credit_code_checksum_failure_is_a_400_on_credit_code(deps, issuer, trainee):
    order = make_order(trainee.user_sub, PAID)
    with pytest.raises(ValidationError) as info:
        invoices.request_invoice(deps, trainee.user_sub, order.order_id, "国家图书馆", BAD_CODE,
                                 PAID + timedelta(days=1))
    assert info.value.details["field"] == "credit_code"
    inv = invoices.request_invoice(deps, trainee.user_sub, order.order_id, "国家图书馆", UNIT_CODE,
                                   PAID + timedelta(days=1))
    assert inv["buyer_type"] == "unit" and inv["credit_code"] == UNIT_CODE


def test_unit_invoices_its_group_order_with_its_code(deps, issuer):
    unit = make_account("国家图书馆", kind="unit", credit_code=UNIT_CODE, unit_name="国家图书馆")
    order = make_order(unit.user_sub, PAID, kind="group", amount_fen=3 * 49000, members=3,
                       payer_name="国家图书馆", channel="bank_transfer")
    inv = invoices.request_invoice(deps, unit.user_sub, order.order_id, "国家图书馆", None,
                                   PAID + timedelta(days=3))
    assert inv["amount_fen"] == 147000 and inv["quantity"] == 3
    assert inv["credit_code"] == UNIT_CODE and inv["buyer_type"] == "unit"


def test_a_group_order_is_invoiced_net_of_its_members_refunds(deps, issuer):
    unit = make_account("国家图书馆", kind="unit", credit_code=UNIT_CODE, unit_name="国家图书馆")
    order = make_order(unit.user_sub, PAID, kind="group", amount_fen=3 * 49000, members=3,
                       payer_name="国家图书馆", channel="bank_transfer")
    make_member_refund(order, order.registration_ids[0], 49000)  # done
    make_member_refund(order, order.registration_ids[1], 49000, status="failed")  # not money back
    inv = invoices.request_invoice(deps, unit.user_sub, order.order_id, "国家图书馆", None,
                                   PAID + timedelta(days=3))
    assert inv["amount_fen"] == 98000 and inv["quantity"] == 2


def test_someone_elses_or_unpaid_or_refunded_order(deps, issuer, trainee):
    other = make_account("李四")
    theirs = make_order(other.user_sub, PAID, payer_name="李四")
    with pytest.raises(NotFoundError):
        invoices.request_invoice(deps, trainee.user_sub, theirs.order_id, "张三", None, PAID)
    unpaid = make_order(trainee.user_sub, None, status="open")
    with pytest.raises(ConflictError) as info:
        invoices.request_invoice(deps, trainee.user_sub, unpaid.order_id, "张三", None, PAID)
    assert info.value.code == "ORDER_NOT_PAID"
    refunded = make_order(trainee.user_sub, PAID, status="refunded")
    with pytest.raises(ConflictError) as info:
        invoices.request_invoice(deps, trainee.user_sub, refunded.order_id, "张三", None, PAID)
    assert info.value.code == "ORDER_REFUNDED"


def test_red_letter_reversal_then_a_fresh_invoice(deps, issuer, trainee):
    # Given an issued invoice
    order = make_order(trainee.user_sub, PAID)
    blue = invoices.request_invoice(deps, trainee.user_sub, order.order_id, "张三", None,
                                    PAID + timedelta(days=1))
    # When finance reverses it (after the original window closed)
    late = parse_instant("2026-03-10T10:00:00+08:00")
    out = invoices.reverse(deps, blue["invoice_id"], "抬头有误", "finance-1", late)
    # Then a red invoice with the next number and the negative amount exists
    red = out["reversal"]
    assert red["kind"] == "red" and red["amount_fen"] == -49000
    assert red["invoice_no"] == "2026-000002" and red["reverses_no"] == blue["invoice_no"]
    assert out["original"]["status"] == "reversed"
    assert out["original"]["reversed_by_invoice_id"] == red["invoice_id"]
    actions = [e.action for e in history(f"invoice#{blue['invoice_id']}")]
    assert sorted(actions[:3]) == ["invoice.issued", "invoice.issuing", "invoice.requested"]
    assert actions[3:] == ["invoice.reversed"]  # (the first three share one instant)
    assert red["status"] == "issued" and len(red["invoice_number"]) == 20
    # and reversing again is refused, a red one cannot be reversed
    with pytest.raises(ConflictError) as info:
        invoices.reverse(deps, blue["invoice_id"], "再次", "finance-1", late)
    assert info.value.code == "ALREADY_REVERSED"
    with pytest.raises(ConflictError):
        invoices.reverse(deps, red["invoice_id"], "红冲红字", "finance-1", late)
    # and the order can be invoiced afresh, within a window counted from the reversal
    fresh = invoices.request_invoice(deps, trainee.user_sub, order.order_id, "国家图书馆",
                                     UNIT_CODE, late + timedelta(days=1))
    assert fresh["invoice_no"] == "2026-000003" and fresh["status"] == "issued"
    # nothing was deleted: the order has all three
    assert len(invoices.repo.list_by_order(order.order_id)) == 3
    with pytest.raises(ConflictError) as info:
        invoices.request_invoice(deps, trainee.user_sub, order.order_id, "张三", None,
                                 late + timedelta(days=1))
    assert info.value.code == "INVOICE_EXISTS"


def test_concurrent_reversals_one_wins(deps, issuer, trainee):
    order = make_order(trainee.user_sub, PAID)
    blue = invoices.request_invoice(deps, trainee.user_sub, order.order_id, "张三", None,
                                    PAID + timedelta(days=1))
    results: list = []

    def rev() -> None:
        try:
            results.append(invoices.reverse(deps, blue["invoice_id"], "重复", "f", PAID
                                            + timedelta(days=2))["reversal"]["invoice_no"])
        except ConflictError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=rev) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["2026-000002"] + ["ALREADY_REVERSED"] * 3
    assert InvoiceCounter.get("2026").last_no == 2


def test_an_unreachable_provider_keeps_the_invoice_and_it_is_issued_later(deps, trainee):
    # Given a provider that is down: the invoice is recorded and numbered anyway
    deps.extras["invoice_issuer"] = BrokenIssuer()
    order = make_order(trainee.user_sub, PAID)
    now = PAID + timedelta(days=1)
    inv = invoices.request_invoice(deps, trainee.user_sub, order.order_id, "张三", None, now)
    assert inv["pdf_ready"] is False and inv["status"] == "requested"
    with pytest.raises(ConflictError) as info:
        invoices.download(deps, inv["invoice_id"], trainee.user_sub, False, now)
    assert info.value.code == "INVOICE_PDF_PENDING"
    # When it is back (and the unanswered submit is old enough to be known lost), the
    # download submits the same orderNo, finds it issued and answers a short-lived link
    deps.extras["invoice_issuer"] = FastIssuer()
    now += timedelta(seconds=invoices.UNCERTAIN_GRACE_S)
    link = invoices.download(deps, inv["invoice_id"], trainee.user_sub, False, now)
    assert link["url"].startswith("http") and link["expires_at"] == now + timedelta(seconds=300)
    assert invoices.invoice_detail(inv["invoice_id"], trainee.user_sub, False)["pdf_ready"]
    # and nobody else sees it
    with pytest.raises(NotFoundError):
        invoices.download(deps, inv["invoice_id"], "someone-else", False, now)


def test_reverse_for_refund_is_idempotent(deps, issuer, trainee):
    order = make_order(trainee.user_sub, PAID)
    assert invoices.reverse_for_refund(deps, order.order_id, "system:refunds", PAID) is None
    blue = invoices.request_invoice(deps, trainee.user_sub, order.order_id, "张三", None,
                                    PAID + timedelta(days=1))
    out = invoices.reverse_for_refund(deps, order.order_id, "system:refunds", PAID + timedelta(days=2))
    assert out["original"]["invoice_id"] == blue["invoice_id"] and out["reversal"]["reason"] == "订单已退费"
    assert invoices.reverse_for_refund(deps, order.order_id, "system:refunds", PAID) is None
    assert InvoiceCounter.get("2026").last_no == 2
