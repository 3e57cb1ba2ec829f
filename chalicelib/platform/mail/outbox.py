"""Mail: recorded in the outbox first (once per event id), then sent; a failed send stays
pending and `send_pending` (a scheduled job) sends it later."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PutError

from chalicelib.platform.observability import logger
from chalicelib.platform.deps import Deps
from chalicelib.platform.store.base import is_condition_failure
from chalicelib.platform.mail.repository import Mail

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
                status="pending", pending="pending", created_at=now)
    try:
        mail.save(condition=Mail.mail_id.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            return False  # this event's mail was already queued
        logger.exception("mail not recorded", extra={"template": template})
        if required:
            from chalicelib.platform.errors import RetryLaterError
            raise RetryLaterError("通知邮件未能记录，请稍后重试") from exc
        return False
    _try_send(deps, mail, now)
    return True


def _try_send(deps: Deps, mail: Mail, now: datetime) -> bool:
    try:
        message_id = deps.mailer.send(mail.to_addr, mail.subject, mail.body)
    except (ClientError, BotoCoreError, OSError) as exc:
        logger.warning("mail send failed; will retry", extra={"mail_id": mail.mail_id,
                                                              "error": type(exc).__name__})
        mail.update(actions=[Mail.attempts.add(1), Mail.last_error.set(type(exc).__name__)])
        return False
    mail.update(actions=[Mail.status.set("sent"), Mail.pending.remove(), Mail.sent_at.set(now),
                         Mail.attempts.add(1), Mail.provider_message_id.set(message_id)],
                condition=Mail.status == "pending")
    return True


def send_pending(deps: Deps, now: datetime, limit: int = 200) -> dict[str, int]:
    """Retry unsent mails (sparse index: reads only pending ones)."""
    sent = failed = 0
    for mail in Mail.pending_index.query("pending", limit=limit):
        if _try_send(deps, mail, now):
            sent += 1
        else:
            failed += 1
    return {"sent": sent, "failed": failed}


def list_mail(to_addr: str | None, limit: int = 100) -> list[dict[str, Any]]:
    if to_addr:
        items = Mail.by_recipient.query(to_addr.strip().lower(), scan_index_forward=False, limit=limit)
    else:
        items = Mail.feed_index.query("mail", scan_index_forward=False, limit=limit)
    return [{"mail_id": m.mail_id, "to": m.to_addr, "subject": m.subject, "body": m.body,
             "template": m.template, "status": m.status, "created_at": m.created_at,
             "sent_at": m.sent_at} for m in items]
