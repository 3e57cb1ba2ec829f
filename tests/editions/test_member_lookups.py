"""The roster's lookup items (issue 18: registration at 3 DynamoDB requests): beside each
roster row, one item per normalised e-mail and mobile holds a copy of the rows with that
contact, written in the rows' own transaction, so pricing reads both of a person's contact
points in ONE consistent BatchGetItem (no Query of the by_email / by_phone indexes). A row
still belongs to an account only through a VERIFIED contact point. Rows written before the
lookup items existed are found through the indexes until the one-off backfill has run."""
from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.editions import members
from chalicelib.editions import members_repository as roster_repo
from chalicelib.editions.members_repository import Member, MemberRepository
from chalicelib.identity import accounts
from chalicelib.platform.errors import ValidationError
from chalicelib.registration import service as registrations
from tests.conftest import PASSWORD, unique_email
from tests.wire import on_the_wire

FIELDS = {"unit_name": "国家图书馆", "job_title": "馆员", "region": "北京"}
APPROVED = "2026-03-01T09:00:00+08:00"


def _roster(seen: list[tuple[str, list[str]]]) -> list[str]:
    return [op for op, tables in seen if "members" in tables]


def person(deps: Any, email: str | None = None, phone: str | None = "13800138000") -> tuple[str, str]:
    email = email or unique_email("roster")
    view = accounts.sign_up(deps, email=email, password=PASSWORD, name="李玥", phone=phone,
                            kind="personal", unit_name=None, credit_code=None, now=deps.now())
    return str(view["user_id"]), email  # the test stage: the e-mail counts as verified


def row(member_no: str, **contact: Any) -> dict[str, Any]:
    return {"name": "李玥", "member_no": member_no, "dues_year": 2026, "approved_at": APPROVED,
            **contact}


def verify_phone(deps: Any, sub: str, phone: str) -> None:
    from chalicelib.dev.sms_outbox import list_sms
    from chalicelib.identity import verification
    verification.send_phone_code(deps, sub, "127.0.0.1", deps.now())
    code = list_sms(phone)[0]["code"]
    verification.verify_phone(deps, sub, ["trainee"], code, "127.0.0.1", deps.now())


def test_a_member_by_e_mail_is_priced_with_one_batch_get_of_the_roster(deps, clock):
    sub, email = person(deps, email=unique_email("Roster.Member"), phone="13700001111")
    members.upsert_members([row("LK-E1", email=email.upper())], "admin", deps.now())
    with on_the_wire() as seen:
        reg = registrations.create_registration(deps, sub, FIELDS, deps.now())
    assert (reg["tier"], reg["fee_fen"]) == ("member", 40000)
    # both contact points in one consistent read; no Query of an index
    assert _roster(seen) == ["BatchGetItem"], seen
    assert not [op for op, _ in seen if op == "Query"], seen


def test_a_member_by_verified_phone_pays_the_member_fee(deps, clock):
    sub, _ = person(deps, phone="139 2222 3333")
    members.upsert_members([row("LK-P1", phone="+86 139-2222-3333")], "admin", deps.now())
    verify_phone(deps, sub, "13922223333")
    with on_the_wire() as seen:
        reg = registrations.create_registration(deps, sub, FIELDS, deps.now())
    assert (reg["tier"], reg["fee_fen"]) == ("member", 40000)
    assert _roster(seen) == ["BatchGetItem"], seen


def test_a_match_through_an_unverified_phone_prices_non_member_and_only_hints(deps, clock):
    from chalicelib.identity import queries
    from chalicelib.editions import service as editions
    sub, _ = person(deps, phone="13933334444")
    members.upsert_members([row("LK-P2", phone="13933334444")], "admin", deps.now())
    account = accounts.get_account(sub)
    with on_the_wire() as seen:
        status = queries.membership_status(account, editions.get_current(deps), deps.now())
    assert status["is_member"] is False and status["member_no"] is None
    assert (status["note"], status["verification_needed"]) == ("验证手机后可确认会员身份", "phone")
    assert _roster(seen) == ["BatchGetItem"], seen  # the hint comes from the same read
    reg = registrations.create_registration(deps, sub, FIELDS, deps.now())
    assert (reg["tier"], reg["fee_fen"]) == ("non_member", 49000)


def test_an_edited_row_matches_by_its_new_contact_only(deps, clock):
    old_sub, old_email = person(deps)
    new_sub, new_email = person(deps)
    members.upsert_members([row("LK-E2", email=old_email, phone="13944445555")], "admin", deps.now())
    # the admin corrects the row: another e-mail, the phone taken off
    members.upsert_members([row("LK-E2", email=new_email)], "admin", deps.now())
    repo = MemberRepository()
    assert repo.lookup(old_email, "13944445555") == ([], [])
    assert [m.member_no for m in repo.find(new_email, None)] == ["LK-E2"]
    assert registrations.create_registration(deps, old_sub, FIELDS, deps.now())["tier"] == "non_member"
    assert registrations.create_registration(deps, new_sub, FIELDS, deps.now())["tier"] == "member"
    # the lookup item of a contact no row has any more is deleted, not left empty
    gone = list(roster_repo._lookups().batch_get([roster_repo.phone_key("13944445555"),
                                                  roster_repo.email_key(old_email)],
                                                 consistent_read=True))
    assert gone == []


def test_a_row_edited_to_last_years_dues_stops_pricing_as_member(deps, clock):
    sub, email = person(deps)
    members.upsert_members([row("LK-E3", email=email)], "admin", deps.now())
    members.upsert_members([{**row("LK-E3", email=email), "dues_year": 2025}], "admin", deps.now())
    assert registrations.create_registration(deps, sub, FIELDS, deps.now())["tier"] == "non_member"


def test_concurrent_imports_of_rows_sharing_a_phone_keep_both(deps, clock):
    phone = "13955556666"
    errors: list[BaseException] = []

    def add(no: str) -> None:
        try:
            members.upsert_members([row(no, phone=phone)], "admin", deps.now())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(f"LK-C{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(m.member_no for m in MemberRepository().find(None, phone)) == \
        [f"LK-C{i}" for i in range(4)]


def test_a_member_number_shaped_like_a_lookup_key_is_refused(deps):
    with pytest.raises(ValidationError) as info:
        members.upsert_members([row("member#email:a@x.cn", email="a@x.cn")], "admin", deps.now())
    assert info.value.details["field"] == "members[0].member_no"
    assert "member#" in info.value.message


def _items_per_transaction(seen: list[tuple[str, list[str]]]) -> list[int]:
    return [len(tables) for op, tables in seen if op == "TransactWriteItems"]


def test_a_large_import_is_read_first_and_written_in_full_transactions(deps, clock):
    rows = [row(f"LK-B{i:03}", email=f"bulk{i}@example.com", phone=f"1390000{i:04}")
            for i in range(60)]  # each: the row, its audit entry, two lookup items
    with on_the_wire() as seen:
        assert members.upsert_members(rows, "admin", deps.now()) == {"upserted": 60}
    assert _items_per_transaction(seen) == [100, 100, 40]
    assert [op for op, _ in seen] == ["BatchGetItem"] * 3 + ["TransactWriteItems"] * 3
    repo = MemberRepository()
    for i in (0, 24, 25, 59):
        by_email, by_phone = repo.lookup(f"bulk{i}@example.com", f"1390000{i:04}")
        assert [m.member_no for m in by_email] == [m.member_no for m in by_phone] == [f"LK-B{i:03}"]


def test_a_phone_shared_across_transactions_of_one_import_collects_every_row(deps, clock):
    shared = "13912340000"  # e.g. a library's front desk
    rows = [row(f"LK-S{i:03}", email=f"desk{i}@example.com", phone=shared) for i in range(50)]
    with on_the_wire() as seen:
        members.upsert_members(rows, "admin", deps.now())
    # 33 rows + 33 audit entries + 33 e-mail items + the shared one = 100, then the rest;
    # the second transaction knows what the first wrote (no lost race, no read again)
    assert _items_per_transaction(seen) == [100, 52]
    assert [op for op, _ in seen].count("BatchGetItem") == 2
    assert len(MemberRepository().find(None, shared)) == 50


def _old_rows(*rows: Member) -> None:
    """Rows as the release before the lookup items wrote them, on a table not migrated yet."""
    for m in rows:
        m.save()
    roster_repo._lookups()(member_no=roster_repo.READY_KEY).delete()
    roster_repo._ready.clear()


def test_rows_from_before_are_found_by_the_indexes_until_the_backfill_then_by_one_read(deps, clock):
    from datetime import UTC, datetime
    t = datetime(2026, 3, 1, tzinfo=UTC)
    sub, email = person(deps)
    _old_rows(Member(member_no="OLD-1", name="李玥", email_norm=email, dues_year=2026,
                     approved_at=t, updated_at=t),
              Member(member_no="OLD-2", name="王芳", phone_norm="13966667777", dues_year=2026,
                     approved_at=t, updated_at=t))
    repo = MemberRepository()
    # not migrated yet: still priced right (the indexes, as before)
    with on_the_wire() as seen:
        assert [m.member_no for m in repo.find(email, "13966667777")] == ["OLD-1", "OLD-2"]
    assert "Query" in _roster(seen)
    # the one-off backfill (devtools.backfill_member_lookups)
    assert repo.backfill_lookups() == {"rows": 2, "written": 2}
    roster_repo._ready.clear()  # another process, after the migration
    with on_the_wire() as seen:
        reg = registrations.create_registration(deps, sub, FIELDS, deps.now())
    assert reg["tier"] == "member"
    assert _roster(seen) == ["BatchGetItem"], seen
    # idempotent: a second run finds the table marked; forced, it writes nothing new
    assert repo.backfill_lookups() == {"rows": 0, "written": 0}
    assert repo.backfill_lookups(again=True) == {"rows": 2, "written": 0}


def test_a_row_edited_during_the_backfill_keeps_its_new_contact(deps, clock, monkeypatch):
    from datetime import UTC, datetime
    t = datetime(2026, 3, 1, tzinfo=UTC)
    _old_rows(Member(member_no="OLD-3", name="李玥", email_norm="before@example.com",
                     dues_year=2026, approved_at=t, updated_at=t))
    repo = MemberRepository()
    real = roster_repo._read
    edited: list[bool] = []

    def read_then_edit(model: Any, keys: Any) -> dict[str, Any]:
        got = real(model, keys)
        if model is Member and not edited:  # the admin saves the row right after the read
            edited.append(True)
            members.upsert_members([row("OLD-3", email="after@example.com")], "admin", deps.now())
        return got

    monkeypatch.setattr(roster_repo, "_read", read_then_edit)
    repo.backfill_lookups()
    monkeypatch.setattr(roster_repo, "_read", real)
    assert edited == [True]
    assert repo.lookup("before@example.com", None) == ([], [])
    assert [m.member_no for m in repo.find("after@example.com", None)] == ["OLD-3"]


def test_the_ops_command_migrates_the_stage_it_is_pointed_at(deps, clock, capsys):
    from datetime import UTC, datetime

    from devtools.backfill_member_lookups import main
    t = datetime(2026, 3, 1, tzinfo=UTC)
    _old_rows(Member(member_no="OLD-9", name="李玥", phone_norm="13977778888", dues_year=2026,
                     approved_at=t, updated_at=t))
    assert main([]) == 0
    assert "1 rows read, 1 lookup items written; ready" in capsys.readouterr().out
    roster_repo._ready.clear()
    with on_the_wire() as seen:
        assert [m.member_no for m in MemberRepository().find(None, "13977778888")] == ["OLD-9"]
    assert _roster(seen) == ["BatchGetItem"]
