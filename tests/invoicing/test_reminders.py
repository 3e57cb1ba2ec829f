"""The invoice-deadline reminder job: paid orders without an invoice whose window closes
within a week are reminded once; the job runs twice without a second mail and resumes
after an interruption without reminding anyone twice."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from chalicelib.platform.clock import parse_instant
from chalicelib.jobs.definitions import BY_NAME
from chalicelib.jobs.runner import Budget, run_due_jobs
from chalicelib.invoicing import jobs as invoice_jobs, service as invoices
from chalicelib.platform import paging
from chalicelib.platform.mail.repository import Mail
from tests.invoicing.factories import FastIssuer, make_account, make_order
from tests.jobs.test_framework import CountingBudget

PAID = parse_instant("2026-04-05T10:00:00+08:00")  # window closes 2026-05-06 00:00


def reminders_to(email: str) -> list:
    return [m for m in Mail.by_recipient.query(email) if m.template == "invoice.deadline_reminder"]


@pytest.fixture
def people(deps):
    deps.extras["invoice_issuer"] = FastIssuer()
    due = [make_account(n) for n in ("甲", "乙", "丙")]
    for a in due:
        make_order(a.user_sub, PAID, payer_name=a.name, channel="wechatpay")
    invoiced = make_account("丁")
    order = make_order(invoiced.user_sub, PAID, payer_name="丁", channel="alipay")
    invoices.request_invoice(deps, invoiced.user_sub, order.order_id, "丁", None,
                             PAID + timedelta(days=1))
    later = make_account("戊")  # paid a week later: not due yet
    make_order(later.user_sub, PAID + timedelta(days=8), payer_name="戊", channel="bank_transfer")
    refunded = make_account("己")
    make_order(refunded.user_sub, PAID, status="refunded", payer_name="己")
    return {"due": due, "invoiced": invoiced, "later": later, "refunded": refunded}


def job_only():
    return [BY_NAME["remind_invoice_deadlines"]]


def test_reminded_once_a_week_before_the_window_closes(deps, people):
    # The day before the reminder period: nobody
    report = run_due_jobs(deps, parse_instant("2026-04-28T09:00:00+08:00"), Budget.seconds(60),
                          job_only())
    assert report["ran"][0]["counts"].get("reminded", 0) == 0
    # Seven days before 05-06 00:00: the three without an invoice
    report = run_due_jobs(deps, parse_instant("2026-04-29T09:00:00+08:00"), Budget.seconds(60),
                          job_only())
    assert report["ran"][0]["counts"]["reminded"] == 3
    for a in people["due"]:
        mails = reminders_to(a.email)
        assert len(mails) == 1 and "2026年5月5日 24:00" in mails[0].body
    for key in ("invoiced", "later", "refunded"):
        assert reminders_to(people[key].email) == []
    # The next day's run (and a repeat of it) sends nothing twice
    for _ in range(2):
        report = run_due_jobs(deps, parse_instant("2026-04-30T09:00:00+08:00"),
                              Budget.seconds(60), job_only())
    assert all(len(reminders_to(a.email)) == 1 for a in people["due"])
    # After the window closed: nobody
    report = run_due_jobs(deps, parse_instant("2026-05-06T09:00:00+08:00"), Budget.seconds(60),
                          job_only())
    assert report["ran"][0]["counts"].get("reminded", 0) == 0


def test_interrupted_half_way_resumes_without_reminding_twice(deps, people, monkeypatch):
    # One order a page, and every page takes a step's whole time: one page per step
    monkeypatch.setattr(invoice_jobs, "REMIND_PAGE", 1)
    ticks = itertools.count(0, 1000)
    monkeypatch.setattr(paging, "monotonic", lambda: float(next(ticks)))
    now = parse_instant("2026-04-29T09:00:00+08:00")
    # Given a budget that lasts for two pages only
    report = run_due_jobs(deps, now, CountingBudget(3), job_only())
    assert report["ran"][0]["status"] == "partial"
    first = report["ran"][0]["counts"].get("reminded", 0)
    assert first < 3
    # When the next invocation resumes
    report = run_due_jobs(deps, now + timedelta(minutes=15), Budget.seconds(60), job_only())
    assert report["ran"][0]["status"] == "done"
    assert report["ran"][0]["counts"]["reminded"] == 3  # accumulated over both invocations
    assert all(len(reminders_to(a.email)) == 1 for a in people["due"])
