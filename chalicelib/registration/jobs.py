"""Registration's scheduled steps. Each: `step(deps, edition, now, cursor, budget_s) ->
(counts, next_cursor | None)`, idempotent (a repeated run changes nothing twice)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.editions.edition import Edition
from chalicelib.platform.clock import notice_time
from chalicelib.platform.deps import Deps
from chalicelib.platform.mail import outbox as mail
from chalicelib.registration.repository import RegistrationRepository
from chalicelib.registration.states import RegistrationStatus

repo = RegistrationRepository()


def review_recipients(edition: Edition) -> list[str]:
    """Who hears about pending reviews: the edition's registration contact (报名咨询, the
    reviewers' mailbox in the notice); the platform keeps no list of reviewers' e-mails."""
    emails = [c.email for c in edition.contacts if c.email and "报名" in c.role]
    return emails or [edition.finance_email]


# The reminder says the exact number below this many, else "至少 50": it reads one page of
# the review queue and no more (issue 18: a Select=COUNT Query was charged for every pending
# registration it counted, 1,000 items to send one mail); the queue itself shows them all.
EXACT_UP_TO = 50


def pending_count_text(pending: int) -> str:
    """What the mail says: "7", or "至少 50" when the page it read was full."""
    return f"至少 {EXACT_UP_TO}" if pending >= EXACT_UP_TO else str(pending)


def remind_pending_reviews(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                           budget_s: float) -> tuple[dict[str, int], Any]:
    """Registration has closed: tell the reviewers how many registrations still wait
    (one page of the review-queue index; one mail per recipient and closing date)."""
    pending = len(repo.first_by_status(edition.edition_id, RegistrationStatus.PENDING.value,
                                       EXACT_UP_TO))
    mailed = 0
    if pending:
        closes = edition.windows.registration.closes
        for to in review_recipients(edition):
            mailed += mail.queue_mail(
                deps, f"registration.review_reminder#{edition.edition_id}#{closes.isoformat()}#{to}",
                to, "registration.review_reminder",
                {"edition_title": edition.title, "count": pending_count_text(pending),
                 "closed_at": notice_time(closes, end=True)}, now)
    return {"pending": pending, "mailed": mailed}, None  # pending: at most EXACT_UP_TO
