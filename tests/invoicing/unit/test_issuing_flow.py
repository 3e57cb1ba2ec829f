"""The issuing flow's decisions without AWS (in-memory repository, a scripted provider):
a refusal fails the invoice with the provider's reason and finance's retry submits the same
orderNo again; provider failures are retried with reInvoice up to MAX_RETRIES, then the
invoice is failed for finance; an issued invoice keeps the provider's number and PDF."""
from __future__ import annotations

from typing import Any

from chalicelib.invoicing import service as invoices
from chalicelib.invoicing.issuer import IssuerRefused, Outcome, Submitted
from tests.invoicing.unit.conftest import PAID, FakeOrder


class Provider:
    """A scripted provider: `refuse` submits refused first, then `fail` failed results."""

    name = "scripted"

    def __init__(self, refuse: int = 0, fail: int = 0) -> None:
        self.refuse, self.fail = refuse, fail
        self.submits: list[str] = []
        self.retries: list[tuple[str, str | None]] = []

    def submit(self, doc: Any) -> Submitted:
        self.submits.append(doc.order_no)
        if self.refuse:
            self.refuse -= 1
            raise IssuerRefused("E9105 购方名称不能为空")
        return Submitted(serial_no="S1")

    def query(self, order_no: str) -> Outcome:
        if order_no not in self.submits:
            return Outcome("unknown")
        if self.fail:
            self.fail -= 1
            return Outcome("failed", serial_no="S1", reason="税局繁忙")
        return Outcome("issued", number="26110000000000000042", serial_no="S1",
                       documents={"pdf": "https://inv.jss.com.cn/x.pdf"})

    def retry(self, order_no: str, serial_no: str | None) -> None:
        self.retries.append((order_no, serial_no))

    def fetch(self, url: str) -> bytes:
        return b"%PDF-1.4 provider"


def test_a_refusal_fails_it_and_finance_retries_the_same_order_no(world):
    sub = world.accounts.add("s1")
    order = world.billing.add(FakeOrder("O1", sub))
    provider = world.deps.extras["invoice_issuer"] = Provider(refuse=1)
    inv = invoices.request_invoice(world.deps, sub, order.order_id, "张三", None, PAID)
    assert inv["status"] == "failed" and inv["failure_reason"] == "E9105 购方名称不能为空"
    assert invoices.list_mine(sub)["invoices"][0]["status"] == "failed"
    out = invoices.retry_failed(world.deps, inv["invoice_id"], "finance-1", PAID)
    assert out["status"] == "issued" and out["invoice_number"] == "26110000000000000042"
    assert provider.submits == ["LSC2026000001", "LSC2026000001"]  # the same orderNo
    assert ("invoices", f"2026/{inv['invoice_id']}.pdf") in world.storage.objects


def test_provider_failures_are_retried_then_left_to_finance(world):
    sub = world.accounts.add("s1")
    order = world.billing.add(FakeOrder("O1", sub))
    provider = world.deps.extras["invoice_issuer"] = Provider(fail=10)
    inv = invoices.request_invoice(world.deps, sub, order.order_id, "张三", None, PAID)
    stored = world.repo.get(inv["invoice_id"])
    for _ in range(invoices.MAX_RETRIES + 2):
        invoices.advance(world.deps, stored, PAID)
    assert stored.status == "failed" and stored.fail_reason == "税局繁忙"
    assert provider.submits == ["LSC2026000001"]  # submitted once, retried, never re-submitted
    assert len(provider.retries) == invoices.MAX_RETRIES
    assert all(r == ("LSC2026000001", "S1") for r in provider.retries)
    # the job no longer follows it; finance's retry asks the provider again (reInvoice)
    assert world.repo.list_in_flight("2026", 10, None)[0] == []
    provider.fail = 0
    out = invoices.retry_failed(world.deps, inv["invoice_id"], "finance-1", PAID)
    assert out["status"] == "issuing" and provider.retries[-1] == ("LSC2026000001", "S1")
    assert invoices.advance(world.deps, world.repo.get(inv["invoice_id"]), PAID)
    assert world.repo.get(inv["invoice_id"]).invoice_number == "26110000000000000042"
