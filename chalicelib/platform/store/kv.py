"""Small named values: the dev clock offset, the current edition, the watched editions."""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.platform.store.base import register


@register
class KeyValue(Model):
    class Meta:
        table_name = "kv"

    key = UnicodeAttribute(hash_key=True)
    value = JSONAttribute(null=True)


def get_value(key: str, default: Any = None) -> Any:
    try:
        return KeyValue.get(key).value
    except DoesNotExist:
        return default


def put_value(key: str, value: Any) -> None:
    KeyValue(key=key, value=value).save()
