"""Small named values: the dev clock offset, the current edition, the watched editions; and
small maps whose entries are set one by one without a read (the recent session cut-offs)."""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, MapAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.models import Model

from chalicelib.platform.store.base import register


@register
class KeyValue(Model):
    class Meta:
        table_name = "kv"

    key = UnicodeAttribute(hash_key=True)
    value = JSONAttribute(null=True)
    entries: MapAttribute[str, Any] = MapAttribute(null=True)  # a map item's entries (set_entry), name -> value


def get_value(key: str, default: Any = None) -> Any:
    try:
        return KeyValue.get(key).value
    except DoesNotExist:
        return default


def put_value(key: str, value: Any) -> None:
    KeyValue(key=key, value=value).save()


def _condition_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def get_entries(key: str, consistent_read: bool = False) -> dict[str, Any]:
    """A map item's entries ({} when there is none)."""
    try:
        item = KeyValue.get(key, consistent_read=consistent_read)
    except DoesNotExist:
        return {}
    return dict(item.entries.as_dict()) if item.entries is not None else {}


def set_entry(key: str, name: str, value: dict[str, Any]) -> None:
    """Set one entry of a map item in one write, whatever other writers set meanwhile (no
    read-modify-write: two revocations at once both land)."""
    item = KeyValue(key=key)
    for _ in range(3):
        try:
            item.update(actions=[KeyValue.entries[name].set(value)],
                        condition=KeyValue.entries.exists())
            return
        except UpdateError as exc:
            if not _condition_failed(exc):
                raise
        try:  # the map's first entry: the item made with it (unless a racing writer did)
            KeyValue(key=key, entries={name: value}).save(condition=KeyValue.entries.does_not_exist())
            return
        except PutError as exc:
            if not _condition_failed(exc):
                raise
    raise RuntimeError(f"kv map {key}: entry {name} not set")  # pragma: no cover - 3 lost races


def remove_entries(key: str, expected: dict[str, dict[str, Any]]) -> bool:
    """Remove entries that still hold what the caller read (False: one changed meanwhile,
    nothing removed)."""
    if not expected:
        return True
    condition = None
    for name, value in expected.items():
        same = KeyValue.entries[name] == value
        condition = same if condition is None else condition & same
    try:
        KeyValue(key=key).update(actions=[KeyValue.entries[name].remove() for name in expected],
                                 condition=condition)
    except UpdateError as exc:
        if not _condition_failed(exc):
            raise
        return False
    return True
