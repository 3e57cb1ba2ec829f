"""The invoicing use cases on the in-memory repository (no moto): the window at its last
second, the buyer's title and credit code, the amount net of refunds, the red-letter
reversal once, and the document and mails that follow."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.invoicing import service as invoices
from chalicelib.platform.clock import parse_instant
from chalicelib.platform.errors import ConflictError, NotFoundError, ValidationError, WindowClosedError
from tests.invoicing.factories import BAD_CODE, UNIT_CODE
from tests.invoicing.unit.conftest import PAID, FakeOrder, FakeRefund

LAST_SECOND = parse_instant("2026-05-05T23:59:59+08:00")


def test_issued_at_the_last_second_refused_the_next(world):
    # Given two paid orders of one trainee
    sub = world.accounts.add("s1")
    first = world.billing.add(FakeOrder("O1", sub, official_card=True))
    second = world.billing.add(FakeOrder("O2", sub))
    # When the first asks at the window's last second and the second one second later
    inv = invoices.request_invoice(world.deps, sub, first.order_id, "张三", None, LAST_SECOND)
    with pytest.raises(WindowClosedError) as info:
        invoices.request_invoice(world.deps, sub, second.order_id, "张三", None,
                                 LAST_SECOND + timedelta(seconds=1))
    # Then the first is numbered, issued by the provider, its PDF stored and mailed; the
    # second took no number
    assert inv["invoice_no"] == "2026-000001" and inv["pdf_ready"] is True
    assert inv["order_no"] == "LSC2026000001" and inv["invoice_number"] == world.issuer.number_of("LSC2026000001")
    assert inv["kind"] == "blue" and inv["status"] == "issued" and inv["official_card"] is True
    assert info.value.details["closes_at"] == "2026-05-06T00:00:00+08:00"
    assert world.repo.counters == {"2026": 1}
    assert ("invoices", f"2026/{inv['invoice_id']}.pdf") in world.storage.objects
    assert world.issuer.issued[0].buyer_title == "张三"
    [body] = world.outbox.to("s1@example.com", "invoice.issued")
    assert inv["invoice_number"] in body and "490.00 元" in body


def test_not_before_payment_and_not_someone_elses(world):
    sub = world.accounts.add("s1")
    order = world.billing.add(FakeOrder("O1", sub))
    with pytest.raises(WindowClosedError):
        invoices.request_invoice(world.deps, sub, order.order_id, "张三", None,
                                 PAID - timedelta(seconds=1))
    with pytest.raises(NotFoundError) as info:
        invoices.request_invoice(world.deps, "someone-else", order.order_id, "张三", None, PAID)
    assert info.value.code == "ORDER_NOT_FOUND"


@pytest.mark.parametrize("status, code", [("open", "ORDER_NOT_PAID"), ("refunding", "ORDER_REFUNDED"),
                                          ("refunded", "ORDER_REFUNDED")])
def test_only_a_paid_order_is_invoiced(world, status, code):
    sub = world.accounts.add("s1")
    order = world.billing.add(FakeOrder("O1", sub, status=status,
                                        paid_at=None if status == "open" else PAID))
    with pytest.raises(ConflictError) as info:
        invoices.request_invoice(world.deps, sub, order.order_id, "张三", None, PAID)
    assert info.value.code == code and info.value.details["status"] == status


def test_a_person_invoice_carries_the_payers_name_a_unit_one_a_valid_code(world):
    sub = world.accounts.add("s1")
    order = world.billing.add(FakeOrder("O1", sub))
    with pytest.raises(ValidationError) as info:
        invoices.request_invoice(world.deps, sub, order.order_id, "李四", None, PAID)
    assert info.value.code == "TITLE_NOT_PAYER" and info.value.details["field"] == "title"
    with pytest.raises(ValidationError) as info:
        invoices.request_invoice(world.deps, sub, order.order_id, "国家图书馆", BAD_CODE, PAID)
    assert info.value.code == "INVALID_CREDIT_CODE"
    inv = invoices.request_invoice(world.deps, sub, order.order_id, "国家图书馆", UNIT_CODE, PAID)
    assert (inv["buyer_type"], inv["title"], inv["credit_code"]) == ("unit", "国家图书馆", UNIT_CODE)
    assert world.repo.counters == {"2026": 1}  # refused requests used no number


def test_a_group_order_takes_the_units_code_and_is_net_of_member_refunds(world):
    # Given a unit's group order of three: one member refunded, one refund that failed,
    # and one refund of an earlier payment of the order
    unit = world.accounts.add("u1", credit_code=UNIT_CODE)
    order = world.billing.add(
        FakeOrder("O1", unit, kind="group", payer_name="国家图书馆", amount_fen=3 * 49000,
                  registration_ids=["R1", "R2", "R3"]),
        FakeRefund("R1", 49000), FakeRefund("R2", 49000, status="failed"),
        FakeRefund("R3", 49000, payment_id="P0"))
    # When it asks without a code
    inv = invoices.request_invoice(world.deps, unit, order.order_id, "国家图书馆", None, PAID)
    # Then the unit's code is used and only the money kept is invoiced
    assert inv["credit_code"] == UNIT_CODE and inv["buyer_type"] == "unit"
    assert inv["amount_fen"] == 98000 and inv["quantity"] == 2
    assert "集体交费，2 人" in world.issuer.issued[0].notes


def test_a_fully_refunded_group_order_is_not_invoiced(world):
    unit = world.accounts.add("u1", credit_code=UNIT_CODE)
    order = world.billing.add(FakeOrder("O1", unit, kind="group", payer_name="国家图书馆",
                                        registration_ids=["R1"]), FakeRefund("R1", 49000))
    with pytest.raises(ConflictError) as info:
        invoices.request_invoice(world.deps, unit, order.order_id, "国家图书馆", None, PAID)
    assert info.value.code == "ORDER_REFUNDED" and info.value.message == "该订单已全部退费，不能开具发票"


def test_one_live_invoice_per_order(world):
    sub = world.accounts.add("s1")
    order = world.billing.add(FakeOrder("O1", sub))
    inv = invoices.request_invoice(world.deps, sub, order.order_id, "张三", None, PAID)
    with pytest.raises(ConflictError) as info:
        invoices.request_invoice(world.deps, sub, order.order_id, "张三", None, PAID)
    assert info.value.code == "INVOICE_EXISTS" and info.value.details["invoice_id"] == inv["invoice_id"]


def test_reversed_once_by_a_red_letter_invoice_then_invoiced_afresh(world):
    # Given an issued invoice
    sub = world.accounts.add("s1")
    order = world.billing.add(FakeOrder("O1", sub))
    blue = invoices.request_invoice(world.deps, sub, order.order_id, "张三", None, PAID)
    # When finance reverses it after the first window closed
    late = parse_instant("2026-05-20T10:00:00+08:00")
    out = invoices.reverse(world.deps, blue["invoice_id"], " 抬头  有误 ", "finance-1", late)
    # Then the red invoice takes the next number and the negative amount
    red, original = out["reversal"], out["original"]
    assert red["kind"] == "red" and red["amount_fen"] == -49000 and red["invoice_no"] == "2026-000002"
    assert red["reverses_invoice_id"] == blue["invoice_id"] and red["reason"] == "抬头 有误"
    assert original["status"] == "reversed" and original["reversed_by_invoice_id"] == red["invoice_id"]
    assert original["reversed_at"] == "2026-05-20T10:00:00+08:00"
    assert world.repo.get(blue["invoice_id"]).status == "reversed"
    assert world.issuer.issued[-1].kind == "red" and world.issuer.issued[-1].reason == "抬头 有误"
    [body] = world.outbox.to("s1@example.com", "invoice.reversed")
    assert "2026年6月20日 24:00" in body  # a full window again, counted from the reversal
    # and only once: again, or a red one, is refused
    with pytest.raises(ConflictError) as info:
        invoices.reverse(world.deps, blue["invoice_id"], "再次", "finance-1", late)
    assert info.value.code == "ALREADY_REVERSED"
    assert info.value.details["reversed_by_invoice_id"] == red["invoice_id"]
    with pytest.raises(ConflictError) as info:
        invoices.reverse(world.deps, red["invoice_id"], "红冲红字", "finance-1", late)
    assert info.value.code == "CANNOT_REVERSE_RED"
    with pytest.raises(ValidationError):
        invoices.reverse(world.deps, blue["invoice_id"], "   ", "finance-1", late)
    # and the order is invoiced afresh within the reopened window
    fresh = invoices.request_invoice(world.deps, sub, order.order_id, "张三", None,
                                     late + timedelta(days=1))
    assert fresh["invoice_no"] == "2026-000003"
    assert [i.kind for i in world.repo.list_by_order(order.order_id)] == ["blue", "red", "blue"]


def test_reverse_for_refund_reverses_the_live_invoice_once(world):
    sub = world.accounts.add("s1")
    order = world.billing.add(FakeOrder("O1", sub))
    assert invoices.reverse_for_refund(world.deps, order.order_id, "system:refunds", PAID) is None
    blue = invoices.request_invoice(world.deps, sub, order.order_id, "张三", None, PAID)
    out = invoices.reverse_for_refund(world.deps, order.order_id, "system:refunds", PAID)
    assert out is not None and out["original"]["invoice_id"] == blue["invoice_id"]
    assert out["reversal"]["reason"] == "订单已退费"
    assert invoices.reverse_for_refund(world.deps, order.order_id, "system:refunds", PAID) is None
    assert world.repo.counters == {"2026": 2}


def test_a_lost_reversal_race_is_already_reversed(world):
    # Given an invoice another finance officer reverses between our read and our write
    sub = world.accounts.add("s1")
    order = world.billing.add(FakeOrder("O1", sub))
    blue = invoices.request_invoice(world.deps, sub, order.order_id, "张三", None, PAID)
    stale = world.repo.get(blue["invoice_id"])
    invoices.reverse(world.deps, blue["invoice_id"], "抬头有误", "finance-1", PAID)
    real_get = world.repo.get
    world.repo.get = lambda invoice_id: stale if invoice_id == blue["invoice_id"] else real_get(invoice_id)
    # When we reverse it too, Then the repository refuses the second red invoice
    with pytest.raises(ConflictError) as info:
        invoices.reverse(world.deps, blue["invoice_id"], "重复", "finance-2", PAID)
    assert info.value.code == "ALREADY_REVERSED"
    assert world.repo.counters == {"2026": 2}


def test_an_unreachable_provider_keeps_the_request_and_it_is_issued_later(world):
    from tests.invoicing.factories import BrokenIssuer, FastIssuer
    sub = world.accounts.add("s1")
    order = world.billing.add(FakeOrder("O1", sub))
    world.deps.extras["invoice_issuer"] = BrokenIssuer()
    inv = invoices.request_invoice(world.deps, sub, order.order_id, "张三", None, PAID)
    assert inv["pdf_ready"] is False and inv["invoice_no"] == "2026-000001"
    assert inv["status"] == "requested" and inv["order_no"] == "LSC2026000001"
    with pytest.raises(ConflictError) as info:
        invoices.download(world.deps, inv["invoice_id"], sub, False, PAID)
    assert info.value.code == "INVOICE_PDF_PENDING"
    # The provider is back but never got the submit: inside the grace it is only asked...
    fast = world.deps.extras["invoice_issuer"] = FastIssuer()
    with pytest.raises(ConflictError):
        invoices.download(world.deps, inv["invoice_id"], sub, False, PAID + timedelta(seconds=30))
    assert fast.issued == []
    # ...after it, the same orderNo is submitted again and issued
    later = PAID + timedelta(seconds=invoices.UNCERTAIN_GRACE_S)
    link = invoices.download(world.deps, inv["invoice_id"], sub, False, later)
    assert [d.order_no for d in fast.issued] == ["LSC2026000001"]
    assert link["expires_at"] == later + timedelta(seconds=300)
    assert invoices.invoice_detail(inv["invoice_id"], sub, False)["pdf_ready"] is True
    with pytest.raises(NotFoundError) as nf:
        invoices.download(world.deps, inv["invoice_id"], "someone-else", False, PAID)
    assert nf.value.code == "INVOICE_NOT_FOUND"


def test_lists_answer_the_one_page_shape(world):
    sub = world.accounts.add("s1")
    for n in range(3):
        order = world.billing.add(FakeOrder(f"O{n}", sub))
        invoices.request_invoice(world.deps, sub, order.order_id, "张三", None, PAID + timedelta(minutes=n))
    mine = invoices.list_mine(sub)
    assert [i["invoice_no"] for i in mine["invoices"]] == ["2026-000003", "2026-000002", "2026-000001"]
    assert "next_token" not in mine
    page = invoices.list_for_finance(world.deps, None, 2, None)
    assert len(page["invoices"]) == 2 and page["next_token"]
    rest = invoices.list_for_finance(world.deps, "2026", 2, page["next_token"])
    assert [i["invoice_no"] for i in rest["invoices"]] == ["2026-000001"] and "next_token" not in rest
