"""The certificates feature's steps of the scheduled jobs (chalicelib/jobs/definitions.py
names them as "chalicelib.certificates.jobs:open_certificates" and
"...:expire_certificates"). Each: `step(deps, edition, now, cursor, budget_s) ->
(counts, next_cursor | None)`, idempotent per trainee (a repeated or resumed run mails or
expires nobody twice), paging the edition's questionnaire responses whose certificate is
neither issued nor expired, through their sparse GSI (a page at a time: no
Scan; the issued and expired ones are not read)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from chalicelib.certificates.repository import CertificateRepository
from chalicelib.editions.edition import Edition
from chalicelib.learning import queries as learning_records
from chalicelib.learning.queries import ResponseRecord
from chalicelib.learning.rules import unmet_payment
from chalicelib.platform import paging
from chalicelib.platform.clock import notice_time
from chalicelib.platform.deps import Deps
from chalicelib.platform.mail import outbox as mail
from chalicelib.registration import queries as registrations

PAGE = 50  # responses per page: one expiry transaction (<= 99) or one outbox batch each
SHARE = 0.7  # of the step's budget, as walk_pages
INDEX = "awaiting_certificate"  # the cursor says which index its token belongs to
ACTOR = "system:learning_jobs"  # the name the audit trail has always carried
certs = CertificateRepository()

mail.register_template(
    "certificate.available",
    "【证书可下载】{edition_title} 电子结业证书",
    "{name}，您好：\n\n您已完成{edition_title}的全部课程学习并提交问卷，电子结业证书现已开放下载。"
    "\n请于 {closes} 前登录平台下载；逾期不再提供下载和补发。")


# One page's handler: (the page's responses, the token that read it, the token of the next
# page) -> (items changed, the token to go on from: the next page's, or one the handler
# knows better; None: the walk is over).
PageHandler = Callable[[list[ResponseRecord], "str | None", "str | None"],
                       tuple[int, "str | None"]]


def _walk(edition: Edition, handle: PageHandler, cursor: Any, budget_s: float
          ) -> tuple[dict[str, int], Any]:
    """Page over the sparse index, a page at a time (a page is one transaction or one
    outbox item), within `share` of the budget; the cursor (`walk_pages`' shape) points at
    the start of the page to do next. A cursor of an older release (its token was of the
    by_edition index) starts over, which is safe: each step changes a response once."""
    if not (isinstance(cursor, dict) and cursor.get("index") == INDEX):
        cursor = None
    started = paging.monotonic()  # the clock the job walks share
    token: str | None = (cursor or {}).get("token")
    counts = {"changed": 0, "seen": 0}
    while True:
        items, next_token = learning_records.page_awaiting_certificate(
            edition.edition_id, PAGE, token)
        changed, token = handle(items, token, next_token)
        counts["seen"] += len(items)
        counts["changed"] += changed
        if token is None:
            return counts, None
        if paging.monotonic() - started > budget_s * SHARE:
            return counts, {"phase": 0, "token": token, "index": INDEX}


def _used(r: ResponseRecord) -> bool:
    """The eligibility was used (issued) or has lapsed (expired) already (the index is
    eventually consistent: one issued a moment ago may still be listed)."""
    return bool(r.certificate_no or r.certificate_state)


def _contact(edition: Edition, r: ResponseRecord) -> tuple[str, str] | None:
    """Where to mail, and the name to greet: None when the trainee is no longer approved and
    paid. The response carries the registration's e-mail and name as they were when it was
    written, and the submit transaction's condition held the registration approved and paid
    then. From the refund window's close on that cannot change: a paid, approved
    registration leaves `paid` only by the trainee's refund request (refused after the
    close: billing.refunds.request_refund; automatic refunds are for unapproved ones or a
    second payment), it cannot be withdrawn or rejected once paid, and its name and e-mail
    change only by erasure, refused while it is paid and the certificate window is not over
    (privacy.service.erase; this job runs only inside that window). So the registration is
    read only for a response written before the refund window closed (an edition whose
    refunds close after its questionnaire opens)."""
    if r.email and r.submitted_at >= edition.windows.refund.closes:
        return r.email, r.name
    reg = registrations.get_registration(r.registration_id)
    if reg is None or unmet_payment(reg):
        return None
    return reg.email, reg.name


def open_certificates(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                      budget_s: float) -> tuple[dict[str, int], Any]:
    """The download window opens: mail every eligible trainee (a questionnaire response
    exists only after every course is 学习完; still approved and paid), once each."""
    window = edition.window("certificate")
    if not window.is_open(now):
        return {"not_due": 1}, None
    counts = {"mailed": 0, "skipped": 0}
    closes = notice_time(window.closes, end=True)

    series = f"certificate.available#{edition.edition_id}"
    shared = {"edition_title": edition.title, "closes": closes}

    def mail_page(page: list[ResponseRecord], start: str | None, next_token: str | None
                  ) -> tuple[int, str | None]:
        """The page's mails as one outbox batch, named by the page's start: a re-run that
        reads this page again finds it and goes on from where it ended (nobody twice)."""
        mails, skipped = [], 0
        for r in page:
            contact = None if _used(r) else _contact(edition, r)
            if contact is None:
                skipped += 1
                continue
            email, name = contact
            mails.append((f"{series}#{r.registration_id}", email, {"name": name}))
        recorded, go_on, fresh = mail.queue_batch(
            deps, series, start, next_token, "certificate.available", shared, mails, now)
        counts["mailed"] += recorded
        counts["skipped"] += skipped if fresh else 0  # a page done earlier: nothing new
        return recorded, go_on
    _walked, next_cursor = _walk(edition, mail_page, cursor, budget_s)
    return counts, next_cursor


def expire_certificates(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                        budget_s: float) -> tuple[dict[str, int], Any]:
    """The download window has closed: record, once per trainee, that an eligibility was
    never used (no download and no reissue afterwards; requests are refused already)."""
    if now < edition.windows.certificate.closes:
        return {"not_due": 1}, None

    def expire_page(page: list[ResponseRecord], _start: str | None, next_token: str | None
                    ) -> tuple[int, str | None]:
        open_ = [r.registration_id for r in page if not _used(r)]
        return (len(certs.expire_all(open_, edition.edition_id, ACTOR, now)) if open_ else 0,
                next_token)
    walked, next_cursor = _walk(edition, expire_page, cursor, budget_s)
    return {"expired": walked["changed"], "already": walked["seen"] - walked["changed"]}, \
        next_cursor
