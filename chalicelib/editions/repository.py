"""Editions: the whole edition document as JSON (validated by editions.edition.Edition),
versioned for optimistic concurrency, and which one is current. Private to the editions
package; the repository's named methods are the only persistence code here."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import committed, register, save_if_absent
from chalicelib.platform.store.kv import get_value, put_value

CURRENT_KEY = "current_edition"


@register
class EditionItem(Model):
    class Meta:
        table_name = "editions"

    edition_id = UnicodeAttribute(hash_key=True)
    document = JSONAttribute()
    # What GET /editions/current answers but for its request-time fields, as JSON text
    # (editions/public.py), written with `document`; absent on items saved before it.
    public_document = UnicodeAttribute(null=True)
    version = NumberAttribute(default=1)
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute(null=True)


class EditionRepository:
    def get(self, edition_id: str, consistent_read: bool = False) -> EditionItem | None:
        try:
            return EditionItem.get(edition_id, consistent_read=consistent_read)
        except DoesNotExist:
            return None

    def seed(self, edition_id: str, document: dict[str, Any], now: datetime,
             public: str | None = None) -> bool:
        """Create the edition unless it exists (idempotent); True when created."""
        item = EditionItem(edition_id=edition_id, document=document, version=1, updated_at=now,
                           updated_by="seed", public_document=public)
        return save_if_absent(item, EditionItem.edition_id)

    def create(self, edition_id: str, document: dict[str, Any], actor: str,
               now: datetime, public: str | None = None) -> bool:
        """A new edition at version 1, audited; False when the id is taken."""
        item = EditionItem(edition_id=edition_id, document=document, version=1, updated_at=now,
                           updated_by=actor, public_document=public)
        return self._write(item, EditionItem.edition_id.does_not_exist(), "edition.created",
                           actor, now)

    def replace(self, edition_id: str, document: dict[str, Any], expected_version: int,
                actor: str, now: datetime, public: str | None = None) -> bool:
        """The edition's new document at `expected_version + 1`, audited; False when the
        stored version is no longer `expected_version` (edited meanwhile). `public`: the
        public document that goes with it (the whole item is replaced: a save without one
        leaves none, so the old one never outlives its document)."""
        item = EditionItem(edition_id=edition_id, document=document,
                           version=expected_version + 1, updated_at=now, updated_by=actor,
                           public_document=public)
        return self._write(item, EditionItem.version == expected_version, "edition.updated",
                           actor, now)

    def current_id(self) -> str | None:
        value = get_value(CURRENT_KEY)
        return str(value) if value else None

    def set_current(self, edition_id: str) -> None:
        put_value(CURRENT_KEY, edition_id)

    def _write(self, item: EditionItem, condition: Any, action: str, actor: str,
               now: datetime) -> bool:
        def write(tx: Any) -> None:
            tx.save(item, condition=condition)
            tx.save(audit_entry(f"edition#{item.edition_id}", action, actor, now,
                                {"version": item.version}))

        return committed(write)
