"""Jobs that read about what they change (issue 18): the registration-closing reminder
reads one page of the review queue, never every pending registration."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.editions.service import get_current
from chalicelib.platform.mail.repository import Mail
from chalicelib.registration import jobs
from chalicelib.registration.repository import Registration
from tests.conftest import at
from tests.wire import dynamodb_requests

CLOSED = at("2026-04-11T00:00:00+08:00")


def seed_pending(n: int) -> None:
    with Registration.batch_write() as batch:
        for i in range(n):
            batch.save(Registration(
                registration_id=f"R{i:04d}", edition_id="2026", user_sub=f"sub-{i}",
                name="李玥", unit_name="国家图书馆", job_title="馆员", region="北京",
                phone="13800138000", email=f"p{i}@example.com", status="pending",
                payment_status="unpaid", tier="non_member", fee_fen=49000,
                submitted_at=at("2026-04-05T10:00:00+08:00") + timedelta(seconds=i),
                edition_unit="2026#国家图书馆", edition_email=f"2026#p{i}@example.com",
                edition_status="2026#pending", version=1))


def reminder_subjects() -> list[str]:
    return [m.subject for m in Mail.scan() if "待审核" in m.subject]


def test_many_pending_read_one_page_and_the_mail_says_at_least_fifty(
        deps: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_pending(120)
    edition = get_current(deps)
    log = dynamodb_requests(monkeypatch)
    counts, cursor = jobs.remind_pending_reviews(deps, edition, CLOSED, None, 10.0)
    assert cursor is None and counts["mailed"] == 1
    assert sum(r.evaluated for r in log if r.operation == "Query") <= jobs.EXACT_UP_TO  # was 120: a COUNT over every pending one
    monkeypatch.undo()
    [subject] = reminder_subjects()
    assert "仍有 至少 50 条报名待审核" in subject


def test_a_few_pending_are_counted_exactly(deps: Any) -> None:
    seed_pending(jobs.EXACT_UP_TO - 1)
    counts, _ = jobs.remind_pending_reviews(deps, get_current(deps), CLOSED, None, 10.0)
    assert counts == {"pending": 49, "mailed": 1}
    [subject] = reminder_subjects()
    assert "仍有 49 条报名待审核" in subject


def test_the_count_text() -> None:
    assert jobs.pending_count_text(7) == "7"
    assert jobs.pending_count_text(49) == "49"
    assert jobs.pending_count_text(50) == "至少 50"
