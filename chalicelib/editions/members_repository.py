"""The members roster: the association's data, imported or edited by admins. Private to
the editions package; the repository's named methods are the only persistence code here."""
from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import decode_token, encode_token, register, transaction

BATCH = 50  # rows per transaction, each with its audit entry (transactions hold 100 items)


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

    by_email = MemberByEmail()
    by_roster = MemberByRoster()
    by_phone = MemberByPhone()


class MemberRepository:
    def upsert_many(self, rows: list[Member], actor: str, now: datetime) -> int:
        """Insert or replace each row (keyed by member number), audited, in transactions
        of BATCH rows."""
        for start in range(0, len(rows), BATCH):
            with transaction() as tx:
                for m in rows[start:start + BATCH]:
                    m.updated_at = now
                    tx.save(m)
                    tx.save(audit_entry(f"member#{m.member_no}", "member.upserted", actor, now,
                                        {"dues_year": m.dues_year}))
        return len(rows)

    def find(self, email_norm: str | None, phone_norm: str | None) -> list[Member]:
        """The rows with this (normalised) e-mail or mobile number, each once."""
        rows: dict[str, Member] = {}
        if email_norm:
            rows.update({m.member_no: m for m in Member.by_email.query(email_norm)})
        if phone_norm:
            rows.update({m.member_no: m for m in Member.by_phone.query(phone_norm)})
        return list(rows.values())

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
