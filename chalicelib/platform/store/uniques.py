"""Guard items that make a rule "at most one" hold under races: created with
attribute_not_exists in the same transaction as the item they guard.
Keys: `live-registration#<edition>#<user>`, `bank-serial#<serial>`, `open-order#<reg>`, ..."""
from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.platform.store.base import register


@register
class Unique(Model):
    class Meta:
        table_name = "uniques"

    key = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()  # the id of the item holding the claim
    created_at = UTCDateTimeAttribute()
