"""The mail outbox: every mail is recorded first, then sent; a failed send stays pending
and the retry job sends it later (a failed mail never undoes a committed change).

Two shapes share the table: a mail (one recipient, `to_addr`, on the `by_recipient` index
and the `feed` "mail") and a batch (a job's page of mails of one template: `batch` holds
the shared params, each recipient's key, address, params and state, and the page's start
and end tokens; `to_addrs` the set of its addresses; `feed` "batch", no `to_addr`). A
batch costs one Put and one Update for its whole page; a person's mails in batches are
found on the batch feed by `contains(to_addrs, address)` (privacy's export and erasure:
rare, and they read every batch item, a few hundred per edition)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from pynamodb.attributes import (JSONAttribute, NumberAttribute, UnicodeAttribute,
                                 UnicodeSetAttribute, UTCDateTimeAttribute)
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.platform.mail.states import MAIL_STATUS, MailStatus
from chalicelib.platform.store.attributes import StateAttribute
from chalicelib.platform.store.base import is_condition_failure, register, save_if_absent, transaction


class ByRecipient(GlobalSecondaryIndex["Mail"]):
    class Meta:
        index_name = "by_recipient"
        projection = AllProjection()

    to_addr = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class Pending(GlobalSecondaryIndex["Mail"]):
    """Sparse: only unsent mails carry `pending`; the retry job reads just those."""
    class Meta:
        index_name = "pending"
        projection = AllProjection()

    pending = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class Feed(GlobalSecondaryIndex["Mail"]):
    """All mails by time, for the dev mailbox and staff."""
    class Meta:
        index_name = "feed"
        projection = AllProjection()

    feed = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


@register
class Mail(Model):
    class Meta:
        table_name = "mail"

    mail_id = UnicodeAttribute(hash_key=True)  # deterministic per event: never sent twice
    to_addr = UnicodeAttribute(null=True)  # None only on a batch (its `to_addrs`)
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    template = UnicodeAttribute()
    status = StateAttribute(MAIL_STATUS, default=MailStatus.PENDING.value)
    pending = UnicodeAttribute(null=True)
    feed = UnicodeAttribute(default="mail")
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)
    provider_message_id = UnicodeAttribute(null=True)
    batch = JSONAttribute(null=True)  # a batch's page: see the module's doc
    to_addrs = UnicodeSetAttribute(null=True)

    by_recipient = ByRecipient()
    pending_index = Pending()
    feed_index = Feed()


BATCH_FEED = "batch"


class MailNotRecordedError(Exception):
    """Storage refused the outbox entry (not a duplicate): the caller decides to retry."""


class MailRepository:
    """The outbox's named reads and writes (the only mail persistence code)."""

    def add_once(self, mail: Mail) -> bool:
        """Record a new mail; False when one with its id exists already (sent at most once)."""
        try:
            return save_if_absent(mail, Mail.mail_id)
        except PutError as exc:
            raise MailNotRecordedError(str(exc)) from exc

    def get(self, mail_id: str) -> Mail | None:
        try:
            return Mail.get(mail_id, consistent_read=True)
        except DoesNotExist:
            return None

    def save_batch(self, mail: Mail, batch: dict[str, Any], done: bool, now: datetime) -> None:
        """A batch after a send attempt: each recipient's state in one write; the batch is
        sent (off the pending index) once none is left pending."""
        actions: list[Any] = [Mail.batch.set(batch), Mail.attempts.add(1)]
        if done:
            actions += [Mail.status.set(MailStatus.SENT.value), Mail.pending.remove(),
                        Mail.sent_at.set(now)]
            try:
                mail.update(actions=actions,
                            condition=Mail.status.is_in(*MAIL_STATUS.sources(MailStatus.SENT)))
            except UpdateError as exc:
                if not is_condition_failure(exc):
                    raise  # else another sender recorded the batch sent first
        else:
            mail.update(actions=actions)

    def batches_to(self, to_addr: str) -> list[Mail]:
        """The batches holding a mail to `to_addr` (reads every batch: privacy only)."""
        return list(Mail.feed_index.query(BATCH_FEED,
                                          filter_condition=Mail.to_addrs.contains(to_addr)))

    def latest_batches(self, limit: int) -> Iterable[Mail]:
        return Mail.feed_index.query(BATCH_FEED, scan_index_forward=False, limit=limit)

    def scrub_batch(self, mail: Mail, batch: dict[str, Any], address: str,
                    placeholder: str) -> None:
        """Erasure inside a batch: the recipients' entries as `batch` now holds them (address
        and text gone, never sent if still pending), the address out of `to_addrs`."""
        addresses = ({*(mail.to_addrs or set())} - {address}) | {placeholder}
        actions: list[Any] = [Mail.batch.set(batch), Mail.to_addrs.set(addresses)]
        if not any(m.get("status") == MailStatus.PENDING.value and not m.get("erased")
                   for m in batch["mails"]):
            actions.append(Mail.pending.remove())  # nothing left to send
        mail.update(actions=actions)

    def record_failure(self, mail: Mail, error: str) -> None:
        mail.update(actions=[Mail.attempts.add(1), Mail.last_error.set(error)])

    def mark_sent(self, mail: Mail, message_id: str, now: datetime) -> None:
        mail.update(actions=[Mail.status.set(MailStatus.SENT.value), Mail.pending.remove(),
                             Mail.sent_at.set(now), Mail.attempts.add(1),
                             Mail.provider_message_id.set(message_id)],
                    condition=Mail.status.is_in(*MAIL_STATUS.sources(MailStatus.SENT)))

    def pending(self, limit: int) -> Iterable[Mail]:
        return Mail.pending_index.query("pending", limit=limit)

    def latest(self, to_addr: str | None, limit: int) -> Iterable[Mail]:
        """Newest first: to one recipient, or all mails (the dev mailbox)."""
        if to_addr:
            return Mail.by_recipient.query(to_addr, scan_index_forward=False, limit=limit)
        return Mail.feed_index.query("mail", scan_index_forward=False, limit=limit)

    def to_recipient(self, to_addr: str) -> list[Mail]:
        return list(Mail.by_recipient.query(to_addr))

    def scrub(self, mail: Mail, placeholder: str, body: str) -> None:
        """Erasure: the address and text go, the record of a mail having been sent stays.
        A mail whose id names the address (an invitation, a repeated sign-up) is recorded
        again under the id with the placeholder, in one transaction with the old one's
        deletion."""
        address = mail.to_addr
        if not address or address not in mail.mail_id:
            mail.update(actions=[Mail.to_addr.set(placeholder), Mail.body.set(body),
                                 Mail.pending.remove()])
            return
        kept = Mail(mail_id=mail.mail_id.replace(address, placeholder), to_addr=placeholder,
                    subject=mail.subject, body=body, template=mail.template,
                    status=mail.status, feed=mail.feed, attempts=mail.attempts,
                    last_error=mail.last_error, created_at=mail.created_at,
                    sent_at=mail.sent_at, provider_message_id=mail.provider_message_id)
        with transaction() as tx:
            tx.delete(mail)
            tx.save(kept)
