"""The audit log: append-only, one item per transition, with actor, time and data."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.platform.store.base import new_id, register


@register
class AuditEntry(Model):
    class Meta:
        table_name = "audit"

    entity = UnicodeAttribute(hash_key=True)  # "registration#R..." / "order#O..."
    entry_id = UnicodeAttribute(range_key=True)  # ISO time + random: sorted by time
    action = UnicodeAttribute()  # dotted: registration.approved
    actor = UnicodeAttribute()  # user sub, "system:<job>" or "provider:alipay"
    at = UTCDateTimeAttribute()
    data = JSONAttribute(null=True)


def audit_entry(entity: str, action: str, actor: str, now: datetime,
                data: dict[str, Any] | None = None) -> AuditEntry:
    """Built here, saved by the caller inside the transaction of the change it records."""
    return AuditEntry(entity=entity, entry_id=f"{now.isoformat()}#{new_id('', 6)}",
                      action=action, actor=actor, at=now, data=data or {})


def history(entity: str) -> list[AuditEntry]:
    return list(AuditEntry.query(entity))


def redact(entity: str, field: str, value: str, placeholder: str) -> int:
    """Erasure: the entity's entries whose data names a person by `value` in `field` (an
    invitation's e-mail) name `placeholder` instead; action, actor and time stay. Returns
    how many changed; repeating it is harmless."""
    changed = 0
    for entry in history(entity):
        data = entry.data if isinstance(entry.data, dict) else None
        if data is not None and data.get(field) == value:
            entry.update(actions=[AuditEntry.data.set({**data, field: placeholder})])
            changed += 1
    return changed
