"""The editions' repositories' in-memory twins (the edition documents with their current
pointer, and the members roster): the same methods, dicts inside (see
tests/registration/memory.py for the pattern); tests/editions/test_repository_contract.py
holds both to the same behaviour."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.editions.members_repository import Member
from chalicelib.editions.repository import EditionItem


class InMemoryEditionRepository:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.current: str | None = None
        self.audit: list[tuple[str, str, str, dict[str, Any] | None]] = []

    def get(self, edition_id: str, consistent_read: bool = False) -> EditionItem | None:
        item = self.items.get(edition_id)
        return EditionItem.from_raw_data(item) if item is not None else None

    def _put(self, edition_id: str, document: dict[str, Any], version: int, actor: str,
             now: datetime, public: str | None = None) -> None:
        self.items[edition_id] = EditionItem(edition_id=edition_id, document=document,
                                             version=version, updated_at=now,
                                             updated_by=actor,
                                             public_document=public).serialize()

    def seed(self, edition_id: str, document: dict[str, Any], now: datetime,
             public: str | None = None) -> bool:
        if edition_id in self.items:
            return False
        self._put(edition_id, document, 1, "seed", now, public)
        return True

    def create(self, edition_id: str, document: dict[str, Any], actor: str,
               now: datetime, public: str | None = None) -> bool:
        if edition_id in self.items:
            return False
        self._put(edition_id, document, 1, actor, now, public)
        self.audit.append((f"edition#{edition_id}", "edition.created", actor, {"version": 1}))
        return True

    def replace(self, edition_id: str, document: dict[str, Any], expected_version: int,
                actor: str, now: datetime, public: str | None = None) -> bool:
        current = self.get(edition_id)
        if current is None or current.version != expected_version:
            return False
        self._put(edition_id, document, expected_version + 1, actor, now, public)
        self.audit.append((f"edition#{edition_id}", "edition.updated", actor,
                           {"version": expected_version + 1}))
        return True

    def current_id(self) -> str | None:
        return self.current

    def set_current(self, edition_id: str) -> None:
        self.current = edition_id


class InMemoryMemberRepository:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.audit: list[tuple[str, str, str, dict[str, Any] | None]] = []

    def upsert_many(self, rows: list[Member], actor: str, now: datetime) -> int:
        for m in rows:
            old = self.items.get(m.member_no)
            m.updated_at = now
            m.rev = (int(Member.from_raw_data(old).rev or 0) if old else 0) + 1
            self.items[m.member_no] = m.serialize()
            self.audit.append((f"member#{m.member_no}", "member.upserted", actor,
                               {"dues_year": m.dues_year}))
        return len(rows)

    def lookup(self, email_norm: str | None, phone_norm: str | None
               ) -> tuple[list[Member], list[Member]]:
        rows = [Member.from_raw_data(self.items[k]) for k in sorted(self.items)]
        return ([m for m in rows if email_norm and m.email_norm == email_norm],
                [m for m in rows if phone_norm and m.phone_norm == phone_norm])

    def find(self, email_norm: str | None, phone_norm: str | None) -> list[Member]:
        by_email, by_phone = self.lookup(email_norm, phone_norm)
        return list({m.member_no: m for m in by_email + by_phone}.values())

    def backfill_lookups(self, again: bool = False) -> dict[str, int]:
        """Nothing to migrate here: every row is found by its contact as soon as it is written."""
        return {"rows": len(self.items), "written": 0}

    def page(self, limit: int, token: str | None, text: str | None = None
             ) -> tuple[list[Member], str | None]:
        """A page of by_roster: `limit` items read (in member-number order), those containing `text` kept."""
        keys = sorted(self.items)
        start = keys.index(token) + 1 if token else 0
        read = keys[start:start + limit]
        rows = [Member.from_raw_data(self.items[k]) for k in read]
        kept = [m for m in rows if not text or text in m.name or text in m.member_no]
        return kept, read[-1] if start + limit < len(keys) else None


def install(monkeypatch: Any, now: datetime, seeds: tuple[str, ...] = ("2026",)
            ) -> tuple[InMemoryEditionRepository, InMemoryMemberRepository]:
    """Put the twins where the editions and roster services look for their repositories,
    with the seeded editions (the first one current)."""
    from chalicelib.editions import members, service
    editions, roster = InMemoryEditionRepository(), InMemoryMemberRepository()
    monkeypatch.setattr(service, "repo", editions)
    monkeypatch.setattr(members, "repo", roster)
    for edition_id in seeds:
        service.seed_edition(service.load_seed(edition_id), now)
    return editions, roster
