"""A year of the 2026 edition walked through with the clock: each date of the notice makes
its job due, the job runs once, its run is recorded; a repeated invocation changes nothing."""
from __future__ import annotations

from datetime import timedelta

from chalicelib.platform.clock import parse_instant
from chalicelib.jobs.service import recent_runs
from chalicelib.jobs.runner import Budget, run_due_jobs
from chalicelib.registration import service as registrations
from chalicelib.jobs.repository import JobRunRepository, run_key
from chalicelib.platform.mail.repository import Mail
from tests.invoicing.factories import make_account


def at(text: str):
    return parse_instant(text)


def ran(report) -> dict[str, dict]:
    return {r["job"]: r for r in report["ran"]}


def run(deps, clock, when: str):
    clock.set(at(when))
    return run_due_jobs(deps, clock.now(), Budget.seconds(120))


def test_a_year_walked_through(deps, clock):
    # Given two registrations still pending when registration closes
    for name in ("王五", "赵六"):
        account = make_account(name)
        registrations.create_registration(
            deps, account.user_sub, {"unit_name": "国家图书馆", "job_title": "馆员", "region": "北京",
                           "phone": "13800138000"},
            at("2026-04-05T10:00:00+08:00"))

    # Registration is open: only the daily and periodic jobs are due
    first = ran(run(deps, clock, "2026-04-05T10:00:00+08:00"))
    assert "close_registration" not in first and "lock_refunds" not in first
    assert first["retry_mail"]["status"] == "done"
    assert first["remind_invoice_deadlines"]["status"] == "done"
    assert first["remind_invoice_deadlines"]["due_at"] == "2026-04-05T09:00:00+08:00"

    # The last second before registration closes: still nothing of the calendar
    assert "close_registration" not in ran(run(deps, clock, "2026-04-10T23:59:59+08:00"))

    # Registration closes: reviewers are told how many wait
    closing = ran(run(deps, clock, "2026-04-11T00:00:00+08:00"))
    assert closing["close_registration"]["status"] == "done"
    assert closing["close_registration"]["counts"] == {"pending": 2, "mailed": 1}
    reminders = list(Mail.by_recipient.query("shih@nlc.cn"))
    assert len(reminders) == 1 and "2 条报名待审核" in reminders[0].subject
    # run twice: the second invocation changes nothing
    again = ran(run(deps, clock, "2026-04-11T00:05:00+08:00"))
    assert "close_registration" not in again
    assert len(list(Mail.by_recipient.query("shih@nlc.cn"))) == 1

    # Course start: refunds lock, unapproved payments go back, unusable orders close
    start = ran(run(deps, clock, "2026-04-13T00:00:00+08:00"))
    assert start["lock_refunds"]["due_at"] == "2026-04-13T00:00:00+08:00"
    assert start["close_unusable_orders"]["due_at"] == "2026-04-13T00:00:00+08:00"
    for job in ("lock_refunds", "close_unusable_orders"):
        assert start[job]["status"] in ("done", "unavailable"), start[job]

    # Certificates open on 06-01
    certs = ran(run(deps, clock, "2026-06-01T00:00:01+08:00"))
    assert certs["open_certificates"]["status"] == "done"
    assert "close_learning" not in certs

    # Learning ends 06-13: playback and questionnaire close; open orders are closed again
    end = ran(run(deps, clock, "2026-06-13T00:00:00+08:00"))
    assert end["close_learning"]["status"] == "done"
    assert end["close_learning"]["counts"].get("closed", 0) + \
        end["close_learning"]["counts"].get("recorded", 0) == 1
    assert end["close_unusable_orders"]["due_at"] == "2026-06-13T00:00:00+08:00"

    # The certificate window ends 07-01
    expiry = ran(run(deps, clock, "2026-07-01T00:00:00+08:00"))
    assert expiry["expire_certificates"]["status"] == "done"

    # Every dated run is recorded once, for its due time
    repo = JobRunRepository()
    for job, due in [("close_registration", "2026-04-11T00:00:00+08:00"),
                     ("open_certificates", "2026-06-01T00:00:00+08:00"),
                     ("close_learning", "2026-06-13T00:00:00+08:00"),
                     ("expire_certificates", "2026-07-01T00:00:00+08:00")]:
        record = repo.get(run_key(job, "2026", at(due).isoformat()))
        assert record is not None and record.status == "done" and record.invocations == 1
    assert len(repo.runs_of("close_registration", "2026")) == 1
    # and an admin sees them, newest first
    runs = recent_runs(100, None)["runs"]
    assert runs[0]["updated_at"] >= runs[-1]["updated_at"]
    assert {"close_registration", "close_learning", "expire_certificates"} <= {r["job"] for r in runs}

    # A late invocation long after changes nothing of the calendar
    late = ran(run(deps, clock, "2026-07-20T00:00:00+08:00"))
    assert not {"close_registration", "lock_refunds", "close_learning", "open_certificates",
                "expire_certificates"} & set(late)


def test_a_missed_date_is_caught_up_by_the_next_invocation(deps, clock):
    # Nobody ran anything on the day: the first invocation weeks later does every date
    report = ran(run(deps, clock, "2026-06-02T08:00:00+08:00"))
    assert {"close_registration", "lock_refunds", "close_unusable_orders",
            "open_certificates"} <= set(report)
    assert "close_learning" not in report
    # oldest first
    order = [r["job"] for r in run_due_jobs(deps, clock.now() + timedelta(days=30),
                                            Budget.seconds(60))["ran"]]
    assert order.index("close_learning") < order.index("expire_certificates")
