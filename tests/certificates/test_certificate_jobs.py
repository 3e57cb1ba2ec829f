"""The certificates feature's job steps driven by the runner: certificates open and expire at
the edition's dates, each trainee touched once, a run interrupted half-way resumes without
mailing or expiring anyone twice, a second run changes nothing."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from chalicelib.platform.clock import parse_instant
from chalicelib.jobs.definitions import BY_NAME
from chalicelib.jobs.runner import Budget, run_due_jobs
from tests.jobs.test_framework import CountingBudget

OPENS = parse_instant("2026-06-01T00:00:00+08:00")
CLOSES = parse_instant("2026-07-01T00:00:00+08:00")


@pytest.fixture
def three_finished(deps, clock):
    """Three trainees with every course 学习完 and the questionnaire submitted."""
    from chalicelib.learning import service as learning, questionnaire
    from tests.learning.conftest import answers_for, complete_courses, paid_trainee
    people = []
    for name in ("甲", "乙", "丙"):
        t = paid_trainee(name)
        learning.enroll(deps, t.user_sub, parse_instant("2026-04-13T00:00:00+08:00"))
        complete_courses(deps, t)
        questionnaire.submit(deps, t.user_sub, answers_for(deps),
                             parse_instant("2026-05-20T10:00:00+08:00"))
        people.append(t)
    return people


@pytest.fixture
def one_page_per_step(monkeypatch):
    from chalicelib.certificates import jobs as certificate_jobs
    from chalicelib.platform import paging
    ticks = itertools.count(0, 1000)
    monkeypatch.setattr(certificate_jobs, "PAGE", 1)
    monkeypatch.setattr(paging, "monotonic", lambda: float(next(ticks)))


def certificate_mails() -> list:
    from chalicelib.platform.mail import outbox as mail
    return [m for m in mail.list_mail(None) if m["template"] == "certificate.available"]


def test_open_and_expire_certificates_interrupted_and_resumed(deps, three_finished,
                                                              one_page_per_step):
    from chalicelib.certificates import service as certificates
    opening = [BY_NAME["open_certificates"]]
    # The download window opens; the invocation has time for two one-trainee pages only
    report = run_due_jobs(deps, OPENS, CountingBudget(3), opening)
    assert [(r["status"], r["counts"]["mailed"]) for r in report["ran"]] == [("partial", 2)]
    # the next invocation resumes from the cursor: the third trainee, nobody twice
    report = run_due_jobs(deps, OPENS + timedelta(minutes=15), Budget.seconds(60), opening)
    assert [(r["status"], r["counts"]["mailed"]) for r in report["ran"]] == [("done", 3)]
    assert len(certificate_mails()) == 3
    assert run_due_jobs(deps, OPENS + timedelta(hours=9), Budget.seconds(60), opening)["ran"] == []

    # The window closes: unused eligibilities expire, interrupted and resumed the same way
    expiring = [BY_NAME["expire_certificates"]]
    report = run_due_jobs(deps, CLOSES, CountingBudget(2), expiring)
    assert [(r["status"], r["counts"]["expired"]) for r in report["ran"]] == [("partial", 1)]
    report = run_due_jobs(deps, CLOSES + timedelta(minutes=15), Budget.seconds(60), expiring)
    assert [(r["status"], r["counts"]["expired"], r["counts"]["already"]) for r in report["ran"]] \
        == [("done", 3, 0)]
    for t in three_finished:
        assert certificates.mine(deps, t.user_sub, CLOSES)["state"] == "expired"
    assert run_due_jobs(deps, CLOSES + timedelta(days=1), Budget.seconds(60), expiring)["ran"] == []
