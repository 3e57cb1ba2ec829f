"""The learning feature's steps of the scheduled jobs (called by chalicelib/jobs/tasks.py).
Each: `step(deps, edition, now, cursor, budget_s) -> (counts, next_cursor | None)`,
idempotent (a repeated or resumed run changes nothing twice), keys and GSIs only."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.platform.clock import monotonic, shanghai
from chalicelib.editions.edition import Edition
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.deps import Deps
from chalicelib.learning.repository import QuestionnaireRepository, mark_once
from chalicelib.registration.repository import RegistrationRepository

PAGE = 50
ACTOR = "system:learning_jobs"
responses = QuestionnaireRepository()
registrations = RegistrationRepository()


def _token(cursor: Any) -> str | None:
    return cursor.get("next") if isinstance(cursor, dict) else None


def close_learning(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                   budget_s: float) -> tuple[dict[str, int], Any]:
    """Learning has ended: record the closure once (enrolment, playback, heartbeats and the
    questionnaire are refused at request time against the calendar already)."""
    closes = edition.windows.learning.closes
    if now < closes:
        return {"not_due": 1}, None
    first = mark_once(f"learning-closed#{edition.edition_id}", edition.edition_id, now,
                      "learning.closed", ACTOR, {"closes": closes.isoformat()})
    return {"closed": int(first), "already": int(not first)}, None


def open_certificates(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                      budget_s: float) -> tuple[dict[str, int], Any]:
    """The download window opens: mail every eligible trainee (a questionnaire response
    exists only after every course is 学习完; still approved and paid), once each."""
    window = edition.window("certificate")
    if not window.is_open(now):
        return {"not_due": 1}, None
    mailed = 0
    skipped = 0
    started = monotonic()
    token = _token(cursor)
    import chalicelib.certificates.service  # noqa: F401  (registers the mail template)
    while True:
        items, token = responses.page(edition.edition_id, PAGE, token)
        for r in items:
            if r.certificate_no or r.certificate_state:
                skipped += 1
                continue
            reg = registrations.get(r.registration_id)
            if reg is None or reg.status != "approved" or reg.payment_status != "paid":
                skipped += 1
                continue
            mailed += mail.queue_mail(
                deps, f"certificate.available#{edition.edition_id}#{r.registration_id}",
                reg.email, "certificate.available",
                {"name": reg.name, "edition_title": edition.title,
                 "closes": shanghai(window.closes).strftime("%Y-%m-%d %H:%M")}, now)
        if not token:
            return {"mailed": mailed, "skipped": skipped}, None
        if monotonic() - started > budget_s:
            return {"mailed": mailed, "skipped": skipped}, {"next": token}


def expire_certificates(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                        budget_s: float) -> tuple[dict[str, int], Any]:
    """The download window has closed: record, once per trainee, that an eligibility was
    never used (no download and no reissue afterwards; requests are refused already)."""
    if now < edition.windows.certificate.closes:
        return {"not_due": 1}, None
    expired = already = 0
    started = monotonic()
    token = _token(cursor)
    while True:
        items, token = responses.page(edition.edition_id, PAGE, token)
        for r in items:
            if r.certificate_no or r.certificate_state:
                already += 1
            elif responses.expire(r, ACTOR, now):
                expired += 1
            else:
                already += 1
        if not token:
            return {"expired": expired, "already": already}, None
        if monotonic() - started > budget_s:
            return {"expired": expired, "already": already}, {"next": token}
