"""Editions: the whole edition document as JSON, validated by domain.edition.Edition."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.platform.store.base import register


@register
class EditionItem(Model):
    class Meta:
        table_name = "editions"

    edition_id = UnicodeAttribute(hash_key=True)
    document = JSONAttribute()
    version = NumberAttribute(default=1)
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute(null=True)
