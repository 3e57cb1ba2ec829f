"""The payments feature's job steps driven by the runner: due at the edition's dates, run
twice without a second effect, interrupted half-way and resumed without doing anything
twice."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from chalicelib.platform.clock import parse_instant
from chalicelib.jobs.definitions import BY_NAME
from chalicelib.jobs.runner import Budget, run_due_jobs
from chalicelib.billing import orders
from chalicelib.registration import service as registrations
from chalicelib.billing.repository import Order
from chalicelib.registration.repository import Registration
from tests.invoicing.factories import make_account
from tests.jobs.test_framework import CountingBudget

NOW = parse_instant("2026-04-05T10:00:00+08:00")


def open_transfer_orders(deps, n: int) -> list[dict]:
    made = []
    for i in range(n):
        acc = make_account(f"学员{i}")
        reg = registrations.create_registration(deps, acc.user_sub, {
            "unit_name": "国家图书馆", "job_title": "馆员", "region": "北京",
            "phone": "13800138000"}, NOW)
        registrations.approve(deps, reg["registration_id"], "reviewer", NOW)
        made.append(orders.create_order(deps, acc.user_sub, reg["registration_id"],
                                        "bank_transfer", False, NOW))
    return made


@pytest.fixture
def one_page_per_step(monkeypatch):
    """The payments steps read one order per page and find their time spent after it."""
    from chalicelib.billing import jobs as payment_jobs
    from chalicelib.platform import paging
    ticks = itertools.count(0, 1000)
    monkeypatch.setattr(payment_jobs, "PAGE", 1)
    monkeypatch.setattr(paging, "monotonic", lambda: float(next(ticks)))


def test_close_unusable_orders_at_learning_end_interrupted_and_resumed(deps, clock,
                                                                       one_page_per_step):
    # Given three open bank-transfer orders when the payment window ends (learning end)
    made = open_transfer_orders(deps, 3)
    job = [BY_NAME["close_unusable_orders"]]
    # At course start they are all usable (approved): the run completes, nothing closed
    report = run_due_jobs(deps, parse_instant("2026-04-13T00:00:00+08:00"), Budget.seconds(60), job)
    assert [(r["status"], r["counts"]["changed"]) for r in report["ran"]] == [("done", 0)]
    # When learning ends and the invocation runs out of time after four one-page steps
    # (two empty online queues, then two of the bank-transfer orders)
    end = parse_instant("2026-06-13T00:00:00+08:00")
    report = run_due_jobs(deps, end, CountingBudget(5), job)
    assert [(r["status"], r["counts"]["changed"]) for r in report["ran"]] == [("partial", 2)]
    assert sorted(Order.get(o["order_id"]).status for o in made) == ["closed", "closed", "open"]
    # Then the next invocation resumes and completes: every order closed exactly once
    report = run_due_jobs(deps, end + timedelta(minutes=15), Budget.seconds(60), job)
    assert [(r["status"], r["counts"]["changed"]) for r in report["ran"]] == [("done", 3)]
    assert [Order.get(o["order_id"]).status for o in made] == ["closed"] * 3
    for o in made:
        reg = Registration.get(Order.get(o["order_id"]).registration_ids[0])
        assert reg.open_order_id is None
    # And a second run changes nothing
    assert run_due_jobs(deps, end + timedelta(days=1), Budget.seconds(60), job)["ran"] == []


def test_overdue_transfers_reminded_once_through_the_daily_job(deps, clock):
    from chalicelib.platform.mail import outbox as mail
    made = open_transfer_orders(deps, 1)
    job = [BY_NAME["remind_overdue_transfers"]]
    # review due 2026-04-14 00:00 (5 working days); the 04-14 09:30 run reminds
    report = run_due_jobs(deps, parse_instant("2026-04-13T10:00:00+08:00"), Budget.seconds(60), job)
    assert report["ran"][0]["counts"]["changed"] == 0
    report = run_due_jobs(deps, parse_instant("2026-04-14T09:30:00+08:00"), Budget.seconds(60), job)
    assert report["ran"][0]["counts"]["changed"] == 1
    # run twice the same day: nothing; the next day: nothing new
    assert run_due_jobs(deps, parse_instant("2026-04-14T12:00:00+08:00"), Budget.seconds(60),
                        job)["ran"] == []
    report = run_due_jobs(deps, parse_instant("2026-04-15T09:30:00+08:00"), Budget.seconds(60), job)
    assert report["ran"][0]["counts"]["changed"] == 0
    sent = [m for m in mail.list_mail("ztxhcaiwu@nlc.cn") if m["template"] == "transfer.overdue"]
    assert len(sent) == 1 and made[0]["order_id"] in sent[0]["subject"]
