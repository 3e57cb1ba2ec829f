"""The certificates feature's steps of the scheduled jobs (chalicelib/jobs/definitions.py
names them as "chalicelib.certificates.jobs:open_certificates" and
"...:expire_certificates"). Each: `step(deps, edition, now, cursor, budget_s) ->
(counts, next_cursor | None)`, idempotent per trainee (a repeated or resumed run mails or
expires nobody twice), paging the edition's questionnaire responses whose certificate is
neither issued nor expired, through their sparse GSI (`platform.paging.walk_pages`: no
Scan; the issued and expired ones are not read)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.certificates.repository import CertificateRepository
from chalicelib.editions.edition import Edition
from chalicelib.learning import queries as learning_records
from chalicelib.learning.queries import ResponseRecord
from chalicelib.learning.rules import unmet_payment
from chalicelib.platform.clock import notice_time
from chalicelib.platform.deps import Deps
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.paging import Page, walk_pages
from chalicelib.registration import queries as registrations

PAGE = 50
INDEX = "awaiting_certificate"  # the cursor says which index its token belongs to
ACTOR = "system:learning_jobs"  # the name the audit trail has always carried
certs = CertificateRepository()

mail.register_template(
    "certificate.available",
    "【证书可下载】{edition_title} 电子结业证书",
    "{name}，您好：\n\n您已完成{edition_title}的全部课程学习并提交问卷，电子结业证书现已开放下载。"
    "\n请于 {closes} 前登录平台下载；逾期不再提供下载和补发。")


def _responses(edition: Edition) -> list[Any]:
    def page(token: str | None) -> Page:
        return learning_records.page_awaiting_certificate(edition.edition_id, PAGE, token)
    return [page]


def _walk(edition: Edition, handle: Any, cursor: Any, budget_s: float
          ) -> tuple[dict[str, int], Any]:
    """walk_pages over the sparse index; a cursor of an older release (its token was of the
    by_edition index) starts over, which is safe: each step changes a response once."""
    if not (isinstance(cursor, dict) and cursor.get("index") == INDEX):
        cursor = None
    walked, next_cursor = walk_pages(_responses(edition), handle, cursor, budget_s)
    return walked, ({**next_cursor, "index": INDEX} if next_cursor is not None else None)


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

    def mail_one(r: ResponseRecord) -> bool:
        contact = None if _used(r) else _contact(edition, r)
        if contact is None:
            counts["skipped"] += 1
            return False
        email, name = contact
        queued = mail.queue_mail(
            deps, f"certificate.available#{edition.edition_id}#{r.registration_id}",
            email, "certificate.available",
            {"name": name, "edition_title": edition.title, "closes": closes}, now)
        counts["mailed"] += int(queued)  # False: mailed by an earlier run already
        return queued
    _walked, next_cursor = _walk(edition, mail_one, cursor, budget_s)
    return counts, next_cursor


def expire_certificates(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                        budget_s: float) -> tuple[dict[str, int], Any]:
    """The download window has closed: record, once per trainee, that an eligibility was
    never used (no download and no reissue afterwards; requests are refused already)."""
    if now < edition.windows.certificate.closes:
        return {"not_due": 1}, None

    def expire_one(r: ResponseRecord) -> bool:
        return not _used(r) and certs.expire(r.registration_id, ACTOR, now)
    walked, next_cursor = _walk(edition, expire_one, cursor, budget_s)
    return {"expired": walked["changed"], "already": walked["seen"] - walked["changed"]}, \
        next_cursor
