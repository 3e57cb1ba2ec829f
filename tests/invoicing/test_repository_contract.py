"""The in-memory twin keeps the real repository's promises: the same calls give the same
answers against DynamoDB (moto) and against dicts, so the fast tests stand on the same
rules as production."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.invoicing.errors import AlreadyReversedError, InvoiceExistsError
from chalicelib.invoicing.repository import Invoice, InvoiceRepository
from tests.fakes import twin_and_real
from tests.invoicing.memory import InMemoryInvoiceRepository

T0 = datetime(2026, 4, 5, 2, 0, tzinfo=UTC)


repo = twin_and_real(InMemoryInvoiceRepository, InvoiceRepository)


def invoice(invoice_id: str, order_id: str, at: datetime, kind: str = "blue", owner: str = "s1",
            amount_fen: int = 49000, **over: Any) -> Invoice:
    fields = {"status": "issued", **over}
    return Invoice(invoice_id=invoice_id, invoice_no="", series="2026", seq=0, kind=kind,
                   order_id=order_id, order_kind="individual", edition_id="2026",
                   owner_sub=owner, buyer_type="individual", title="张三", item="培训费",
                   amount_fen=amount_fen, issued_at=at, issued_by=owner, issuer="fake",
                   pdf_key=f"2026/{invoice_id}.pdf", **fields)


def test_numbers_are_consecutive_and_one_live_invoice_per_order(repo):
    a = repo.issue(invoice("I1", "O1", T0), "s1", T0)
    b = repo.issue(invoice("I2", "O2", T0 + timedelta(minutes=1)), "s1", T0)
    assert (a.invoice_no, b.invoice_no) == ("2026-000001", "2026-000002")
    assert repo.live_invoice_id("O1") == "I1" and repo.live_invoice_id("O3") is None
    with pytest.raises(InvoiceExistsError) as info:
        repo.issue(invoice("I3", "O1", T0), "s1", T0)
    assert info.value.details["invoice_id"] == "I1"
    assert repo.get("I3") is None and repo.get("I1").invoice_no == "2026-000001"


def test_a_reversal_once_frees_the_order(repo):
    original = repo.issue(invoice("I1", "O1", T0), "s1", T0)
    later = T0 + timedelta(days=3)
    red = invoice("I2", "O1", later, kind="red", amount_fen=-49000, reverses_id="I1")
    repo.reverse(original, red, "抬头有误", "finance", later)
    assert red.invoice_no == "2026-000002"
    assert (original.status, original.reversed_by_id, original.reason) == ("reversed", "I2", "抬头有误")
    stored = repo.get("I1")
    assert stored.status == "reversed" and stored.reversed_at == later
    assert repo.live_invoice_id("O1") is None and repo.last_reversal_at("O1") == later
    with pytest.raises(AlreadyReversedError):
        repo.reverse(repo.get("I1"), invoice("I3", "O1", later, kind="red"), "again", "finance", later)
    assert [i.invoice_id for i in repo.list_by_order("O1")] == ["I1", "I2"]
    repo.issue(invoice("I4", "O1", later + timedelta(days=1)), "s1", later)
    assert repo.live_invoice_id("O1") == "I4" and repo.get("I4").invoice_no == "2026-000003"


def test_pdf_ready_and_the_lists(repo):
    for n in range(3):
        repo.issue(invoice(f"I{n}", f"O{n}", T0 + timedelta(minutes=n), owner="s1" if n else "s2"),
                   "s1", T0)
    item = repo.get("I1")
    repo.mark_pdf_ready(item, T0)
    assert item.pdf_ready_at == T0 and repo.get("I1").pdf_ready_at == T0
    assert [i.invoice_id for i in repo.list_by_owner("s1")] == ["I2", "I1"]
    first, token = repo.list_by_edition("2026", 2, None)
    assert [i.invoice_id for i in first] == ["I2", "I1"] and token
    rest, _ = repo.list_by_edition("2026", 2, token)
    assert [i.invoice_id for i in rest] == ["I0"]


def test_moves_are_conditional_and_the_in_flight_list_follows_them(repo):
    a = repo.issue(invoice("I1", "O1", T0, status="requested"), "s1", T0)
    b = repo.issue(invoice("I2", "O2", T0 + timedelta(minutes=1), status="requested"), "s1", T0)
    assert (a.order_no, b.order_no) == ("LSC2026000001", "LSC2026000002")
    assert [i.invoice_id for i in repo.list_in_flight("2026", 10, None)[0]] == ["I1", "I2"]
    # a move from the state it was read in wins once; a stale copy loses and writes nothing
    stale = repo.get("I1")
    assert repo.move(a, "issuing", "system", T0, serial_no="S1", attempts=1)
    assert not repo.move(stale, "failed", "system", T0, fail_reason="late")
    assert repo.get("I1").status == "issuing" and repo.get("I1").fail_reason is None
    # an expectation on another attribute is part of the condition
    fresh = repo.get("I1")
    assert not repo.move(fresh, None, "system", T0, expect={"checked_at": T0}, checked_at=T0)
    assert repo.move(fresh, None, "system", T0, expect={"checked_at": None}, checked_at=T0)
    assert repo.get("I1").checked_at == T0
    # issued leaves the in-flight list; the stored fields are the moved ones
    assert repo.move(fresh, "issued", "system", T0, invoice_number="26110000000000000001",
                     pdf_ready_at=T0)
    assert [i.invoice_id for i in repo.list_in_flight("2026", 10, None)[0]] == ["I2"]
    done = repo.get("I1")
    assert (done.status, done.invoice_number, done.serial_no) == ("issued", "26110000000000000001", "S1")
    page, token = repo.list_in_flight("2026", 1, None)
    assert [i.invoice_id for i in page] == ["I2"]
    with pytest.raises(Exception):
        repo.move(done, "requested", "system", T0)  # not a move the table allows
