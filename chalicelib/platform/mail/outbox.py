"""Mail: recorded in the outbox first (once per event id), then sent; a failed send stays
pending and `send_pending` (a scheduled job) sends it later."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from chalicelib.platform.errors import RetryLaterError
from chalicelib.platform.mail.repository import Mail, MailNotRecordedError, MailRepository
from chalicelib.platform.mail.ses import MailSendError
from chalicelib.platform.observability import logger

FOOTER = "\n\n——\n中国图书馆学会 在职培训平台（此邮件由系统自动发送，请勿直接回复）"

TEMPLATES: dict[str, tuple[str, str]] = {
    "registration.approved": (
        "【报名成功】{edition_title}",
        "{name}，您好：\n\n您提交的{edition_title}报名（编号 {registration_id}）已审核通过，报名成功。"
        "\n培训费：{fee_yuan} 元（{tier_label}）。请登录平台完成交费，交费后即可选学。"),
    "registration.rejected": (
        "【报名未通过】{edition_title}",
        "{name}，您好：\n\n您提交的{edition_title}报名（编号 {registration_id}）未通过审核。"
        "\n原因：{reason}\n如有疑问，请联系报名咨询。"),
    "registration.review_reminder": (
        "【待审核提醒】{edition_title} 报名已截止，仍有 {count} 条报名待审核",
        "报名已于 {closed_at} 截止，仍有 {count} 条报名待审核，请尽快处理。"),
}


repo = MailRepository()


class Deps(Protocol):
    """What the outbox needs of a request's dependencies: the mail adapter (platform.deps
    builds it; the outbox does not import deps, which imports the adapter)."""
    mailer: Any


def render(template: str, params: dict[str, Any]) -> tuple[str, str]:
    subject, body = TEMPLATES[template]
    return subject.format(**params), body.format(**params) + FOOTER


def register_template(name: str, subject: str, body: str) -> None:
    """Other services add their templates at import (payments, refunds, learning)."""
    TEMPLATES[name] = (subject, body)


def queue_mail(deps: Deps, mail_id: str, to_addr: str, template: str, params: dict[str, Any],
               now: datetime, required: bool = False) -> bool:
    """Record the mail (at most once per `mail_id`) and try to send it now. Never raises for
    a mail failure: the change it reports is already committed. `required`: a caller that
    can be retried (a provider's notification) gets RetryLaterError when the mail could not
    even be recorded, and queues it again on the retry (`mail_id` keeps it to one)."""
    subject, body = render(template, params)
    mail = Mail(mail_id=mail_id, to_addr=to_addr, subject=subject, body=body, template=template,
                pending="pending", created_at=now)
    try:
        if not repo.add_once(mail):
            return False  # this event's mail was already queued
    except MailNotRecordedError as exc:
        logger.exception("mail not recorded", extra={"template": template})
        if required:
            raise RetryLaterError("通知邮件未能记录，请稍后重试") from exc
        return False
    _try_send(deps, mail, now)
    return True


def prepare_mail(mail_id: str, to_addr: str, template: str, params: dict[str, Any],
                 now: datetime) -> Mail:
    """The outbox item of a mail that a caller records inside its own transaction
    (`record_in`), with the change it reports: one request fewer than `queue_mail`, and the
    mail exists exactly when the change does. Send it after the commit (`send_recorded`)."""
    subject, body = render(template, params)
    return Mail(mail_id=mail_id, to_addr=to_addr, subject=subject, body=body, template=template,
                pending="pending", created_at=now)


def record_in(tx: Any, mail: Mail) -> None:
    """Put `mail` (from `prepare_mail`) in the caller's transaction, once per `mail_id`."""
    tx.save(mail, condition=Mail.mail_id.does_not_exist())


def send_recorded(deps: Deps, mail: Mail, now: datetime) -> bool:
    """Send a mail its caller's transaction recorded; a failure leaves it pending for the
    retry job (never raises for the send itself)."""
    return _try_send(deps, mail, now)


def _try_send(deps: Deps, mail: Mail, now: datetime) -> bool:
    try:
        message_id = deps.mailer.send(mail.to_addr, mail.subject, mail.body)
    except (MailSendError, OSError) as exc:
        error = str(exc) if isinstance(exc, MailSendError) else type(exc).__name__
        logger.warning("mail send failed; will retry", extra={"mail_id": mail.mail_id, "error": error})
        repo.record_failure(mail, error)
        return False
    repo.mark_sent(mail, message_id, now)
    return True


def send_pending(deps: Deps, now: datetime, limit: int = 200) -> dict[str, int]:
    """Retry unsent mails (sparse index: reads only pending ones)."""
    sent = failed = 0
    for mail in repo.pending(limit):
        if _try_send(deps, mail, now):
            sent += 1
        else:
            failed += 1
    return {"sent": sent, "failed": failed}


def list_mail(to_addr: str | None, limit: int = 100) -> list[dict[str, Any]]:
    items = repo.latest(to_addr.strip().lower() if to_addr else None, limit)
    return [_view(m) for m in items]


def _view(m: Mail) -> dict[str, Any]:
    return {"mail_id": m.mail_id, "to": m.to_addr, "subject": m.subject, "body": m.body,
            "template": m.template, "status": m.status, "created_at": m.created_at,
            "sent_at": m.sent_at}


def mails_to(email: str) -> list[dict[str, Any]]:
    """Every mail sent to `email`, with its text (a personal-data export)."""
    return [_view(m) for m in repo.to_recipient(email)]


def scrub_recipient(email: str, placeholder: str) -> int:
    """Erasure: mails to `email` keep only that they were sent (address and text removed)."""
    mails = repo.to_recipient(email)
    for m in mails:
        repo.scrub(m, placeholder, "（已按本人申请删除）")
    return len(mails)


MAIL_PAGE = 100


def retry_step(deps: Deps, edition: Any, now: datetime, cursor: Any,
               budget_s: float) -> tuple[dict[str, int], Any]:
    """The retry_mail job's step: send the mails whose first attempt failed (the outbox's
    sparse pending index). Goes on while a full page made progress; mails that keep
    failing wait for the next slot."""
    counts = send_pending(deps, now, limit=MAIL_PAGE)
    more = counts["sent"] > 0 and counts["sent"] + counts["failed"] >= MAIL_PAGE
    return counts, ({"again": True} if more else None)
