"""The members roster: the association's data, imported or edited by admins."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.platform.store.base import register


class MemberByEmail(GlobalSecondaryIndex["Member"]):
    class Meta:
        index_name = "by_email"
        projection = AllProjection()

    email_norm = UnicodeAttribute(hash_key=True)


class MemberByPhone(GlobalSecondaryIndex["Member"]):
    class Meta:
        index_name = "by_phone"
        projection = AllProjection()

    phone_norm = UnicodeAttribute(hash_key=True)


@register
class Member(Model):
    class Meta:
        table_name = "members"

    member_no = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    email_norm = UnicodeAttribute(null=True)
    phone_norm = UnicodeAttribute(null=True)
    dues_year = NumberAttribute()
    approved_at = UTCDateTimeAttribute(null=True)  # membership application approved
    updated_at = UTCDateTimeAttribute()

    by_email = MemberByEmail()
    by_phone = MemberByPhone()
