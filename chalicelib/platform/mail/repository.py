"""The mail outbox: every mail is recorded first, then sent; a failed send stays pending
and the retry job sends it later (a failed mail never undoes a committed change)."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.platform.store.base import register


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
    to_addr = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    template = UnicodeAttribute()
    status = UnicodeAttribute(default="pending")  # pending | sent
    pending = UnicodeAttribute(null=True)
    feed = UnicodeAttribute(default="mail")
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)
    provider_message_id = UnicodeAttribute(null=True)

    by_recipient = ByRecipient()
    pending_index = Pending()
    feed_index = Feed()
