"""Accounts (profiles): one item per Cognito user, keyed by its `sub`."""
from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.platform.store.base import register


class ByEmail(GlobalSecondaryIndex["Account"]):
    class Meta:
        index_name = "by_email"
        projection = AllProjection()

    email = UnicodeAttribute(hash_key=True)


class ByPhone(GlobalSecondaryIndex["Account"]):
    class Meta:
        index_name = "by_phone"
        projection = AllProjection()

    phone_norm = UnicodeAttribute(hash_key=True)


@register
class Account(Model):
    class Meta:
        table_name = "accounts"

    user_sub = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()  # normalised (lower case)
    name = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    phone_norm = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(default="personal")  # personal | unit | staff
    unit_name = UnicodeAttribute(null=True)
    credit_code = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()

    by_email = ByEmail()
    by_phone = ByPhone()
