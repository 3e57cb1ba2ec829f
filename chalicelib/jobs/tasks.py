"""Steps of the jobs that live with the job runner (the others are in their features'
services). Each: `step(deps, edition, now, cursor, budget_s) -> (counts, next_cursor|None)`,
idempotent per item, a bounded page of work per call."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.platform.clock import shanghai
from chalicelib.editions.edition import Edition
from chalicelib.jobs.runner import resolve
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.deps import Deps

LEARNING_JOBS = "chalicelib.learning.jobs"


def review_recipients(edition: Edition) -> list[str]:
    """Who hears about pending reviews: the edition's registration contact (报名咨询, the
    reviewers' mailbox in the notice); the platform keeps no list of reviewers' e-mails."""
    emails = [c.email for c in edition.contacts if c.email and "报名" in c.role]
    return emails or [edition.finance_email]


def remind_pending_reviews(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                           budget_s: float) -> tuple[dict[str, int], Any]:
    """Registration has closed: tell the reviewers how many registrations still wait
    (count through the by_edition_status index; one mail per recipient and closing date)."""
    from chalicelib.registration.repository import Registration
    pending = Registration.by_edition_status.count(f"{edition.edition_id}#pending")
    mailed = 0
    if pending:
        closes = edition.windows.registration.closes
        for to in review_recipients(edition):
            mailed += mail.queue_mail(
                deps, f"registration.review_reminder#{edition.edition_id}#{closes.isoformat()}#{to}",
                to, "registration.review_reminder",
                {"edition_title": edition.title, "count": pending,
                 "closed_at": shanghai(closes).strftime("%Y-%m-%d %H:%M")}, now)
    return {"pending": pending, "mailed": mailed}, None


def _hook(name: str, deps: Deps, edition: Edition, now: datetime, cursor: Any,
          budget_s: float) -> tuple[dict[str, int], Any]:
    """Call the learning feature's hook when it is deployed; otherwise record that the
    date passed (request-time checks already refuse everything the date closes)."""
    fn = resolve(f"{LEARNING_JOBS}:{name}")
    if fn is None:
        return {"recorded": 1, "hook_missing": 1}, None
    return fn(deps, edition, now, cursor, budget_s)


def close_learning(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                   budget_s: float) -> tuple[dict[str, int], Any]:
    """Learning has ended: playback and the questionnaire close."""
    return _hook("close_learning", deps, edition, now, cursor, budget_s)


def open_certificates(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                      budget_s: float) -> tuple[dict[str, int], Any]:
    return _hook("open_certificates", deps, edition, now, cursor, budget_s)


def expire_certificates(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                        budget_s: float) -> tuple[dict[str, int], Any]:
    return _hook("expire_certificates", deps, edition, now, cursor, budget_s)


def remind_invoice_deadlines(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                             budget_s: float) -> tuple[dict[str, int], Any]:
    from chalicelib.invoicing import service as invoices
    return invoices.remind_deadlines(deps, edition, now, cursor, budget_s)
