"""The invoice-deadline reminder step (invoicing/jobs.py) on the in-memory repository: who
is due, once, and a walk interrupted between pages resumes where it stopped."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from chalicelib.invoicing import jobs, rules, service as invoices
from chalicelib.platform import paging
from chalicelib.platform.clock import parse_instant
from tests.invoicing.unit.conftest import PAID, FakeOrder

DUE = parse_instant("2026-04-29T09:00:00+08:00")  # 05-06 00:00 is within seven days


@pytest.fixture
def people(world):
    for n, channel in enumerate(["alipay", "wechatpay", "wechatpay", "bank_transfer"]):
        sub = world.accounts.add(f"due{n}")
        world.billing.add(FakeOrder(f"D{n}", sub, channel=channel))
    invoiced = world.accounts.add("invoiced")
    world.billing.add(FakeOrder("I0", invoiced))
    invoices.request_invoice(world.deps, invoiced, "I0", "张三", None, PAID)
    later = world.accounts.add("later")
    world.billing.add(FakeOrder("L0", later, paid_at=PAID + timedelta(days=8)))
    gone = "gone"  # the account was erased: nothing to send
    world.billing.add(FakeOrder("G0", gone))
    return world


def reminded(world) -> list[str]:
    return sorted(to for to, template, _ in world.outbox.sent.values()
                  if template == "invoice.deadline_reminder")


def run(world, now, cursor=None, budget_s=60.0):
    return jobs.remind_deadlines(world.deps, world.editions.edition, now, cursor, budget_s)


def test_due_orders_without_an_invoice_are_reminded_once(people):
    assert run(people, DUE - timedelta(days=1)) == ({"checked": 6, "reminded": 0}, None)
    counts, cursor = run(people, DUE)
    assert cursor is None and counts == {"checked": 6, "reminded": 4}
    assert reminded(people) == [f"due{n}@example.com" for n in range(4)]
    [body] = people.outbox.to("due0@example.com", "invoice.deadline_reminder")
    assert "2026年5月5日 24:00" in body and "490.00 元" in body and "2026年4月5日 10:00" in body
    assert run(people, DUE + timedelta(days=1))[0]["reminded"] == 0  # nobody twice
    assert run(people, parse_instant("2026-05-06T00:00:00+08:00"))[0]["reminded"] == 0


def test_a_walk_out_of_time_hands_back_a_cursor_and_resumes(people, monkeypatch):
    # Given one order a page and every page taking the step's whole budget
    monkeypatch.setattr(jobs, "REMIND_PAGE", 1)
    ticks = itertools.count(0, 1000)
    monkeypatch.setattr(paging, "monotonic", lambda: float(next(ticks)))
    total, cursor, steps = 0, None, 0
    while True:
        counts, cursor = run(people, DUE, cursor)
        total, steps = total + counts["reminded"], steps + 1
        if cursor is None:
            break
        assert set(cursor) == {"phase", "token"}
    assert total == 4 and steps > 3 and len(reminded(people)) == 4


def test_reminder_due_at_the_edges():
    closes = parse_instant("2026-05-06T00:00:00+08:00")
    assert rules.reminder_due(PAID, 1, None, closes - timedelta(days=7)) == closes
    assert rules.reminder_due(PAID, 1, None, closes - timedelta(days=7, seconds=1)) is None
    assert rules.reminder_due(PAID, 1, None, closes - timedelta(seconds=1)) == closes
    assert rules.reminder_due(PAID, 1, None, closes) is None
    # a reversal reopened the window: the reminder follows the new close
    reopened = parse_instant("2026-05-01T12:00:00+08:00")
    assert rules.reminder_due(PAID, 1, reopened, closes - timedelta(days=1)) is None
    assert rules.reminder_due(PAID, 1, reopened, parse_instant("2026-05-27T00:00:00+08:00")) == \
        parse_instant("2026-06-02T00:00:00+08:00")


def test_the_orders_looked_at_cover_every_closing_window():
    now = DUE
    lo, hi = rules.reminder_paid_between(now, 1)
    for paid in (PAID, parse_instant("2026-03-29T09:00:00+08:00"), parse_instant("2026-04-06T00:00:00+08:00")):
        if rules.reminder_due(paid, 1, None, now):
            assert lo <= paid <= hi, paid
