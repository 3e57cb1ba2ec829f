"""Mail: recorded in the outbox first (once per event id), then sent; a failed send stays
pending and `send_pending` (a scheduled job) sends it later. A job that mails a page of
people records the page as one batch (`queue_batch`): one Put, the sends, one Update,
with the same guarantee per recipient (a crash re-sends what was not marked sent, a
failed recipient stays pending alone)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, Protocol, Sequence

from chalicelib.platform.errors import RetryLaterError
from chalicelib.platform.mail.repository import (BATCH_FEED, Mail, MailNotRecordedError,
                                                 MailRepository)
from chalicelib.platform.mail.states import MailStatus
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


def _deliver(deps: Deps, mail_id: str, to_addr: str, subject: str,
             body: str) -> tuple[str | None, str | None]:
    """Hand one mail to the mail service: (its message id, None), or (None, the error) when
    it refused or was unreachable (the caller keeps the mail pending for the retry job)."""
    try:
        return deps.mailer.send(to_addr, subject, body), None
    except (MailSendError, OSError) as exc:
        error = str(exc) if isinstance(exc, MailSendError) else type(exc).__name__
        logger.warning("mail send failed; will retry", extra={"mail_id": mail_id, "error": error})
        return None, error


def _try_send(deps: Deps, mail: Mail, now: datetime) -> bool:
    message_id, error = _deliver(deps, mail.mail_id, str(mail.to_addr), mail.subject, mail.body)
    if message_id is None:
        repo.record_failure(mail, str(error))
        return False
    repo.mark_sent(mail, message_id, now)
    return True


def send_pending(deps: Deps, now: datetime, limit: int = 200) -> dict[str, int]:
    """Retry unsent mails (sparse index: reads only pending ones)."""
    sent = failed = 0
    for mail in repo.pending(limit):
        if mail.batch is not None and now - mail.created_at < BATCH_GRACE:
            continue  # its job may be sending it right now: a retry could mail twice
        if mail.batch is not None:
            ok, bad = _send_batch(deps, mail, now)
            sent, failed = sent + ok, failed + bad
        elif _try_send(deps, mail, now):
            sent += 1
        else:
            failed += 1
    return {"sent": sent, "failed": failed}


def list_mail(to_addr: str | None, limit: int = 100) -> list[dict[str, Any]]:
    """Newest first, one entry per mail (a batch's mails each on their own)."""
    address = to_addr.strip().lower() if to_addr else None
    views = [_view(m) for m in repo.latest(address, limit)]
    batches = repo.batches_to(address) if address else list(repo.latest_batches(limit))
    views += [v for b in batches for v in _batch_views(b) if address in (None, v["to"])]
    views.sort(key=lambda v: v["created_at"], reverse=True)
    return views[:limit]


def _view(m: Mail) -> dict[str, Any]:
    return {"mail_id": m.mail_id, "to": m.to_addr, "subject": m.subject, "body": m.body,
            "template": m.template, "status": m.status, "created_at": m.created_at,
            "sent_at": m.sent_at}


def _batch_views(b: Mail) -> list[dict[str, Any]]:
    batch = b.batch or {}
    out = []
    for m in batch.get("mails", []):
        if "body" in m:  # scrubbed: the text is gone
            subject, body = b.subject, str(m["body"])
        else:
            subject, body = render(b.template, {**batch.get("params", {}), **m["params"]})
        out.append({"mail_id": m["key"], "to": m["to"], "subject": subject, "body": body,
                    "template": b.template, "status": m["status"], "created_at": b.created_at,
                    "sent_at": _instant(m.get("sent_at"))})
    return out


def _instant(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def mails_to(email: str) -> list[dict[str, Any]]:
    """Every mail sent to `email`, with its text (a personal-data export)."""
    return [_view(m) for m in repo.to_recipient(email)] + [
        v for b in repo.batches_to(email) for v in _batch_views(b) if v["to"] == email]


def scrub_recipient(email: str, placeholder: str) -> int:
    """Erasure: mails to `email` keep only that they were sent (address and text removed;
    one still pending is never sent), in single mails and inside batches."""
    mails = repo.to_recipient(email)
    for m in mails:
        repo.scrub(m, placeholder, SCRUBBED)
    scrubbed = len(mails)
    for b in repo.batches_to(email):
        batch = dict(b.batch or {})
        entries = []
        for e in batch.get("mails", []):
            if e.get("to") == email:
                scrubbed += 1  # one still pending is never sent (as a scrubbed mail)
                e = {**e, "to": placeholder, "params": {}, "body": SCRUBBED, "erased": True}
            entries.append(e)
        repo.scrub_batch(b, {**batch, "mails": entries}, email, placeholder)
    return scrubbed


SCRUBBED = "（已按本人申请删除）"


def _to_send(entry: dict[str, Any]) -> bool:
    """A batch recipient still to send: pending and not erased meanwhile."""
    return entry.get("status") == MailStatus.PENDING.value and not entry.get("erased")


# --- batches: a job's page of mails in one outbox item ---------------------------------
BATCH_GRACE = timedelta(minutes=5)  # the retry job leaves a new batch to its job this long
BATCH_MAX = 100  # recipients per batch: ~150 bytes each (params, not the text), far under 400 KB


def batch_id(series: str, start: str | None) -> str:
    """The batch of the page read from `start` (None: the first page) in `series` (a job's
    template and edition): the same page start always names the same batch."""
    digest = hashlib.sha256((start or "").encode()).hexdigest()[:24]
    return f"batch#{series}#{digest}"


def queue_batch(deps: Deps, series: str, start: str | None, end: str | None, template: str,
                params: dict[str, Any], mails: Sequence[tuple[str, str, dict[str, Any]]],
                now: datetime) -> tuple[int, str | None, bool]:
    """Record a job page's mails as one batch, once per page start, then send them. `mails`:
    (key, address, the recipient's own params), `params` shared by all; `start`/`end`: the
    tokens that read the page and the next one. A batch is recorded even when empty, and
    records its `end`: a re-run that reads the page from the same start again (a resumed
    or a repeated job) finds the batch, sends nothing and goes on from the recorded end,
    so the pages and their batches are a chain each recipient is in once, whatever left or
    joined the index since. A batch found unsent (a crash between record and send) is sent
    by `send_pending`. Returns (mails recorded now, the token to go on from, whether this
    call recorded it). Raises MailNotRecordedError when storage refused the batch: the job
    step fails and its run resumes from its last checkpoint."""
    if len(mails) > BATCH_MAX:
        raise ValueError(f"a batch holds at most {BATCH_MAX} mails")
    mail_id = batch_id(series, start)
    entries = [{"key": key, "to": to_addr, "params": own,
                "status": MailStatus.PENDING.value} for key, to_addr, own in mails]
    subject = render(template, {**params, **mails[0][2]})[0] if mails else template
    batch = Mail(mail_id=mail_id, to_addr=None, subject=subject, body=f"{len(mails)} 封",
                 template=template, feed=BATCH_FEED, created_at=now,
                 batch={"params": params, "start": start, "end": end, "mails": entries},
                 to_addrs={e["to"] for e in entries} or None,
                 status=MailStatus.PENDING.value if mails else MailStatus.SENT.value,
                 pending="pending" if mails else None, sent_at=None if mails else now)
    if not repo.add_once(batch):
        found = repo.get(mail_id)
        return 0, (found.batch or {}).get("end") if found is not None else end, False
    if mails:
        _send_batch(deps, batch, now)
    return len(mails), end, True


def _send_batch(deps: Deps, mail: Mail, now: datetime) -> tuple[int, int]:
    """Send a batch's pending recipients, then record every outcome in one write."""
    batch = dict(mail.batch or {})
    shared = batch.get("params", {})
    entries, sent, failed = [], 0, 0
    for m in batch.get("mails", []):
        if _to_send(m):
            subject, body = render(mail.template, {**shared, **m["params"]})
            message_id, error = _deliver(deps, m["key"], m["to"], subject, body)
            if message_id is None:
                m = {**m, "attempts": int(m.get("attempts", 0)) + 1, "error": error}
                failed += 1
            else:
                m = {**m, "status": MailStatus.SENT.value, "sent_at": now.isoformat(),
                     "message_id": message_id, "attempts": int(m.get("attempts", 0)) + 1}
                sent += 1
        entries.append(m)
    batch["mails"] = entries
    done = not any(_to_send(m) for m in entries)
    repo.save_batch(mail, batch, done, now)
    return sent, failed


MAIL_PAGE = 100


def retry_step(deps: Deps, edition: Any, now: datetime, cursor: Any,
               budget_s: float) -> tuple[dict[str, int], Any]:
    """The retry_mail job's step: send the mails whose first attempt failed (the outbox's
    sparse pending index). Goes on while a full page made progress; mails that keep
    failing wait for the next slot."""
    counts = send_pending(deps, now, limit=MAIL_PAGE)
    more = counts["sent"] > 0 and counts["sent"] + counts["failed"] >= MAIL_PAGE
    return counts, ({"again": True} if more else None)
