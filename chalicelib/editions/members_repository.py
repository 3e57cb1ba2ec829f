"""The members roster: the association's data, imported or edited by admins. Private to
the editions package; the repository's named methods are the only persistence code here."""
from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any, Iterable

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import decode_token, encode_token, is_condition_failure, register, retry_lost_races, transaction

MAX_ITEMS = 100  # a transaction's items: rows, their audit entries, the lookup items
# Rows per backfill transaction: a condition check of each row and up to two lookup items.
BATCH = 16
LOOKUP_PREFIX = "member#"  # lookup items' keys; refused as a member number (members._row)
READY_KEY = "member#lookups-ready"  # written once every row has its lookup items (backfill)


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


class MemberByRoster(GlobalSecondaryIndex["Member"]):
    """Every row under one key, in member-number order: the admin's roster list and search
    page through it with a Query (no Scan on a request path)."""
    class Meta:
        index_name = "by_roster"
        projection = AllProjection()

    roster = UnicodeAttribute(hash_key=True)
    member_no = UnicodeAttribute(range_key=True)


ROSTER = "member"  # the one key of by_roster: a few thousand rows, written by imports only


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
    roster = UnicodeAttribute(default=ROSTER)  # by_roster's key, on every row

    rev = NumberAttribute(null=True)  # +1 per write: the lookup items follow the row read

    by_email = MemberByEmail()
    by_roster = MemberByRoster()
    by_phone = MemberByPhone()


class MemberLookup(Model):
    """Beside the rows, in the same table: one item per normalised e-mail
    (`member#email:<e>`) and per mobile (`member#phone:<p>`) holding a copy of every row
    with that contact, written in the rows' own transactions. Pricing reads a person's two
    in one consistent BatchGetItem instead of a Query per index. Not in any index (no
    `roster`, `email_norm` or `phone_norm` attribute). Not registered as a table of its
    own: it uses the rows' table and connection (`_lookups`)."""
    class Meta:
        table_name = "members"

    member_no = UnicodeAttribute(hash_key=True)  # the lookup key (the table's hash key)
    rows = JSONAttribute(default=dict)  # member number -> the row as stored (Member.serialize)
    version = NumberAttribute(default=1)


def email_key(email_norm: str) -> str:
    return f"{LOOKUP_PREFIX}email:{email_norm}"


def phone_key(phone_norm: str) -> str:
    return f"{LOOKUP_PREFIX}phone:{phone_norm}"


def lookup_keys(m: Member | None) -> list[str]:
    if m is None:
        return []
    return ([email_key(m.email_norm)] if m.email_norm else []) + \
        ([phone_key(m.phone_norm)] if m.phone_norm else [])


def _lookups() -> type[MemberLookup]:
    """MemberLookup bound where Member is (the stage's members table, its connection)."""
    table = Member.Meta.table_name
    if MemberLookup.Meta.table_name != table or MemberLookup._connection is not Member._get_connection():
        MemberLookup.Meta.table_name = table
        MemberLookup._connection = Member._get_connection()
    return MemberLookup


_ready: set[str] = set()  # tables whose READY_KEY this process has seen (it never goes)


def _pack(rows: list[Member], stored: dict[str, Member]) -> list[list[Member]]:
    """The rows in order, cut into transactions of at most MAX_ITEMS items: each row and
    its audit entry, and the lookup items the chunk touches (each once)."""
    chunks: list[list[Member]] = []
    chunk: list[Member] = []
    keys: set[str] = set()
    for m in rows:
        mine = set(lookup_keys(m) + lookup_keys(stored.get(m.member_no)))
        if chunk and 2 * (len(chunk) + 1) + len(keys | mine) > MAX_ITEMS:
            chunks.append(chunk)
            chunk, keys = [], set()
        chunk.append(m)
        keys |= mine
    if chunk:
        chunks.append(chunk)
    return chunks


def _rows_of(item: MemberLookup | None) -> list[Member]:
    return [Member.from_raw_data(raw) for _, raw in sorted((item.rows or {}).items())] \
        if item is not None else []


def _read(model: Any, keys: Iterable[str]) -> dict[str, Any]:
    """Items by hash key, read consistently (BatchGetItem: one request per 100 keys)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    return {item.member_no: item for item in model.batch_get(wanted, consistent_read=True)}


def _condition(model: Any, stored: Any, attribute: str) -> Any:
    """The write's condition: the item is still as read (`attribute` unchanged), or still
    absent when it was not there."""
    if stored is None:
        return model.member_no.does_not_exist()
    value = getattr(stored, attribute)
    attr = getattr(model, attribute)
    return attr.does_not_exist() if value is None else attr == value


class MemberRepository:
    def upsert_many(self, rows: list[Member], actor: str, now: datetime) -> int:
        """Insert or replace each row (keyed by member number), audited, with its lookup
        items kept in step (the old contact's copy gone, the new one written). The rows and
        lookup items are read first (BatchGetItem, 100 keys a request), then written in
        transactions packed to DynamoDB's 100 items; a chunk that loses a race with another
        edit is read again and redone."""
        stored = _read(Member, (m.member_no for m in rows))
        keys = {k for m in rows for k in lookup_keys(m) + lookup_keys(stored.get(m.member_no))}
        known = {"rows": stored, "lookups": _read(_lookups(), keys)}
        for chunk in _pack(rows, stored):
            retry_lost_races(partial(self._upsert_chunk, chunk, actor, now, known))
        return len(rows)

    def _upsert_chunk(self, chunk: list[Member], actor: str, now: datetime,
                      known: dict[str, dict[str, Any]], attempt: int = 0) -> bool | None:
        if attempt == 0:  # as read for the whole import, kept up to date chunk by chunk
            stored, lookups = known["rows"], known["lookups"]
        else:  # lost a race: this chunk's items as they are now
            stored = _read(Member, (m.member_no for m in chunk))
            lookups = _read(_lookups(), {k for m in chunk for k in
                                         lookup_keys(m) + lookup_keys(stored.get(m.member_no))})
        keys = {k for m in chunk for k in lookup_keys(m) + lookup_keys(stored.get(m.member_no))}
        if len(chunk) > 1 and 2 * len(chunk) + len(keys) > MAX_ITEMS:  # changed meanwhile
            half = len(chunk) // 2
            for part in (chunk[:half], chunk[half:]):
                retry_lost_races(partial(self._upsert_again, part, actor, now, known))
            return True
        docs = {k: dict(lookups[k].rows or {}) if k in lookups else {} for k in keys}
        for m in chunk:
            old = stored.get(m.member_no)
            for k in lookup_keys(old):
                docs[k].pop(m.member_no, None)
            m.updated_at = now
            m.rev = (int(old.rev) if old is not None and old.rev is not None else 0) + 1
            for k in lookup_keys(m):
                docs[k][m.member_no] = m.serialize()
        try:
            with transaction() as tx:
                for m in chunk:
                    tx.save(m, condition=_condition(Member, stored.get(m.member_no), "rev"))
                    tx.save(audit_entry(f"member#{m.member_no}", "member.upserted", actor, now,
                                        {"dues_year": m.dues_year}))
                written = self._write_lookups(tx, {k: v for k, v in lookups.items() if k in keys},
                                              docs)
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                return None  # edited meanwhile: read again
            raise
        known["rows"].update({m.member_no: m for m in chunk})
        for k, item in written.items():
            if item is None:
                known["lookups"].pop(k, None)
            else:
                known["lookups"][k] = item
        return True

    def _upsert_again(self, chunk: list[Member], actor: str, now: datetime,
                      known: dict[str, dict[str, Any]], attempt: int) -> bool | None:
        return self._upsert_chunk(chunk, actor, now, known, attempt + 1)  # read fresh

    @staticmethod
    def _write_lookups(tx: Any, lookups: dict[str, MemberLookup], docs: dict[str, dict[str, Any]]
                       ) -> dict[str, MemberLookup | None]:
        """The lookup items whose rows changed, written (or deleted when none is left) on
        the condition that each is still the version read; returns what each now is."""
        written: dict[str, MemberLookup | None] = {}
        for k, doc in docs.items():
            was = lookups.get(k)
            if was is not None and doc == (was.rows or {}):
                continue
            condition = _condition(MemberLookup, was, "version")
            if not doc:
                if was is not None:
                    tx.delete(_lookups()(member_no=k), condition=condition)
                    written[k] = None
                continue
            version = (int(was.version) if was is not None else 0) + 1
            written[k] = _lookups()(member_no=k, rows=doc, version=version)
            tx.save(written[k], condition=condition)
        return written

    def lookup(self, email_norm: str | None, phone_norm: str | None
               ) -> tuple[list[Member], list[Member]]:
        """The rows with this (normalised) e-mail, and those with this mobile number: both
        lookup items in one consistent BatchGetItem. Until the one-off backfill has run on
        this table (no READY_KEY yet: rows imported before the lookup items existed), the
        two indexes are queried instead, as before."""
        table = str(Member.Meta.table_name)
        keys = ([email_key(email_norm)] if email_norm else []) + \
            ([phone_key(phone_norm)] if phone_norm else [])
        if not keys:
            return [], []
        items = _read(_lookups(), keys + ([] if table in _ready else [READY_KEY]))
        if table not in _ready and READY_KEY not in items:
            return (list(Member.by_email.query(email_norm)) if email_norm else [],
                    list(Member.by_phone.query(phone_norm)) if phone_norm else [])
        _ready.add(table)
        return (_rows_of(items.get(email_key(email_norm))) if email_norm else [],
                _rows_of(items.get(phone_key(phone_norm))) if phone_norm else [])

    def find(self, email_norm: str | None, phone_norm: str | None) -> list[Member]:
        """The rows with this (normalised) e-mail or mobile number, each once."""
        by_email, by_phone = self.lookup(email_norm, phone_norm)
        return list({m.member_no: m for m in by_email + by_phone}.values())

    def backfill_lookups(self, again: bool = False) -> dict[str, int]:
        """One-off migration (idempotent): give every row written before the lookup items
        existed its copies in them, then mark the table ready (`lookup` stops querying the
        indexes); a table already marked is left alone unless `again`. Safe beside imports:
        a row's copy is written only while the row is as read (its `rev`), so an edit in
        between makes that chunk be read again. Returns {"rows": rows read, "written":
        lookup items written}."""
        if not again and _read(_lookups(), [READY_KEY]):
            _ready.add(str(Member.Meta.table_name))
            return {"rows": 0, "written": 0}
        seen = written = 0
        token: str | None = None
        while True:
            result = Member.by_roster.query(ROSTER, limit=BATCH,
                                            last_evaluated_key=decode_token(token))
            page = [m.member_no for m in result]
            token = encode_token(result.last_evaluated_key)
            seen += len(page)
            if page:
                written += retry_lost_races(partial(self._backfill_chunk, page))
            if token is None:
                break
        _lookups()(member_no=READY_KEY, rows={}, version=1).save()
        _ready.add(str(Member.Meta.table_name))
        return {"rows": seen, "written": written}

    def _backfill_chunk(self, member_nos: list[str], _attempt: int = 0) -> int | None:
        stored = _read(Member, member_nos)
        keys = {k for m in stored.values() for k in lookup_keys(m)}
        lookups = _read(_lookups(), keys)
        docs = {k: dict(lookups[k].rows or {}) if k in lookups else {} for k in keys}
        behind: list[Member] = []
        for m in stored.values():
            raw = m.serialize()
            missing = [k for k in lookup_keys(m) if docs[k].get(m.member_no) != raw]
            for k in missing:
                docs[k][m.member_no] = raw
            if missing:
                behind.append(m)
        changed = sum(1 for k, doc in docs.items()
                      if k not in lookups or doc != (lookups[k].rows or {}))
        if not behind:
            return 0
        try:
            with transaction() as tx:
                for m in behind:
                    tx.condition_check(Member, m.member_no, condition=_condition(Member, m, "rev"))
                self._write_lookups(tx, lookups, docs)
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return changed

    def page(self, limit: int, token: str | None, text: str | None = None
             ) -> tuple[list[Member], str | None]:
        """One page of the roster in member-number order (a Query of by_roster; `text`: rows
        whose name or member number contains it, so a page may hold fewer than `limit`);
        the next page's token or None."""
        condition = (Member.name.contains(text) | Member.member_no.contains(text)) if text else None
        result = Member.by_roster.query(ROSTER, filter_condition=condition, limit=limit,
                                        last_evaluated_key=decode_token(token))
        items = list(result)
        return items, encode_token(result.last_evaluated_key)
