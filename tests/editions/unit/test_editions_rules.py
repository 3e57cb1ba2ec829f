"""Editions and the roster on the in-memory repositories (no AWS): saving an edition with
optimistic versions, which edition is current, the roster import (CSV in UTF-8 or GBK,
XLSX, all or nothing) and what the roster says about one person."""
from __future__ import annotations

import io

import pytest

from chalicelib.editions import members, service as editions
from chalicelib.platform.errors import ConflictError, NotFoundError, ValidationError
from tests.conftest import at


def doc(**over):
    data = editions.load_seed("2026").model_dump(mode="json")
    return {**data, **over}


# --- editions -----------------------------------------------------------------------------
def test_the_seeded_edition_is_current_and_seeding_again_changes_nothing(world):
    assert editions.current_edition_id(world.deps) == "2026"
    assert editions.seed_edition(editions.load_seed("2026"), world.clock.now()) is False
    assert editions.get_current(world.deps).fees.member_fen == 40000


def test_an_edition_is_created_once_and_edited_against_its_version(world):
    now = world.clock.now()
    out = editions.save_edition(world.deps, doc(edition_id="2027", title="2027 年培训"), "admin",
                                now, create=True)
    assert out == {"edition_id": "2027", "version": 1, "current": False}
    with pytest.raises(ConflictError) as info:
        editions.save_edition(world.deps, doc(edition_id="2027"), "admin", now, create=True)
    assert (info.value.code, info.value.message) == ("EDITION_CONFLICT", "届次已存在或已被他人修改，请刷新后重试")
    out = editions.save_edition(world.deps, doc(edition_id="2027", title="改"), "admin", now,
                                create=False, edition_id="2027", expected_version=1,
                                make_current=True)
    assert out == {"edition_id": "2027", "version": 2, "current": True}
    assert editions.get_current(world.deps).title == "改"
    with pytest.raises(ConflictError):  # someone else saved version 2 meanwhile
        editions.save_edition(world.deps, doc(edition_id="2027"), "admin", now, create=False,
                              edition_id="2027", expected_version=1)
    assert [a for _, a, *_ in world.editions.audit] == ["edition.created", "edition.updated"]


def test_unknown_and_missing_editions_are_404_with_their_messages(world):
    with pytest.raises(NotFoundError) as info:
        editions.get_edition(world.deps, "1999")
    assert (info.value.code, info.value.message) == ("EDITION_NOT_FOUND", "届次 1999 不存在")
    with pytest.raises(NotFoundError) as info:
        editions.save_edition(world.deps, doc(edition_id="1999"), "admin", world.clock.now(),
                              create=False)
    assert info.value.message == "届次 1999 不存在"
    world.editions.current = None
    with pytest.raises(NotFoundError) as info:
        editions.current_edition_id(world.deps)
    assert (info.value.code, info.value.message) == ("EDITION_NOT_FOUND", "当前没有开放的培训届次")


def test_an_invalid_document_names_the_field_and_the_path_must_match(world):
    with pytest.raises(ValidationError) as info:
        editions.save_edition(world.deps, doc(edition_id="bad id!"), "admin", world.clock.now(),
                              create=True)
    assert info.value.details["field"] == "edition_id"
    with pytest.raises(ValidationError) as info:
        editions.save_edition(world.deps, doc(), "admin", world.clock.now(), create=False,
                              edition_id="2027")
    assert info.value.message == "edition_id 与路径不一致"


# --- the roster ---------------------------------------------------------------------------
def test_rows_are_upserted_by_member_number(world):
    world.member("M1", email="li@example.com", approved_at=None)
    world.member("M1", email="li@example.com", approved_at="2026-03-01T09:00:00+08:00")
    assert list(world.roster.items) == ["M1"]
    assert members.find_rows("LI@example.com", None)[0].approved_at == at("2026-03-01T09:00:00+08:00")


@pytest.mark.parametrize("rows,field", [
    ([{"name": "张三", "member_no": "M1", "dues_year": 2026}], "members[0].email"),
    ([{"name": "张三", "email": "a@x.cn", "member_no": "M1", "dues_year": "今年"}], "members[0].dues_year"),
    ([{"name": "张三", "email": "a@x.cn", "member_no": "M1", "dues_year": 1999}], "members[0].dues_year"),
    ([{"name": "张三", "email": "a@x.cn", "member_no": "M1", "dues_year": 2026, "approved_at": "昨天"}],
     "members[0].approved_at"),
    ([{"name": "张三", "email": "a@x.cn", "member_no": "M1", "dues_year": 2026},
      {"name": "李四", "email": "b@x.cn", "member_no": "M1", "dues_year": 2026}], "members[1].member_no"),
    ([{"name": "", "email": "a@x.cn", "member_no": "M1", "dues_year": 2026}], "members[0].name"),
])
def test_a_bad_row_refuses_the_whole_import(world, rows, field):
    with pytest.raises(ValidationError) as info:
        members.upsert_members(rows, "admin", world.clock.now())
    assert info.value.details["field"] == field
    assert world.roster.items == {}


ROSTER = "姓名,邮箱,手机号,会员号,会费年度,审批时间\n赵堃,Zhao@Example.com,,M100,2026,2026-03-01 09:00:00\n,,,,,\n"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_a_csv_roster_in_utf8_or_gbk(encoding):
    rows = members.parse_roster(ROSTER.encode(encoding), "text/csv")
    assert rows == [{"name": "赵堃", "email": "Zhao@Example.com", "phone": "", "member_no": "M100",
                     "dues_year": "2026", "approved_at": "2026-03-01 09:00:00",
                     "_line": 2}]  # the blank row is left out; the row keeps its Excel number


def test_an_xlsx_roster_with_number_and_date_cells():
    import openpyxl
    from datetime import datetime
    book = openpyxl.Workbook()
    book.active.append(["会员号", "姓名", "手机号", "会费年度", "入会审批时间"])
    book.active.append(["M200", "钱玥", 13900001111, 2026, datetime(2026, 2, 1, 8, 0)])
    buf = io.BytesIO()
    book.save(buf)
    [row] = members.parse_roster(buf.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert (row["member_no"], row["phone"], row["dues_year"]) == ("M200", "13900001111", "2026")
    member = members._row(row, 0)
    assert member.approved_at == at("2026-02-01T08:00:00+08:00")  # a naive cell is Beijing time


@pytest.mark.parametrize("content", [b"foo,bar\n1,2\n", b"PK\x03\x04broken"])
def test_an_unreadable_roster_names_the_file(content):
    with pytest.raises(ValidationError) as info:
        members.parse_roster(content, "text/csv")
    assert info.value.details["field"] == "file"


def test_what_the_roster_says_about_one_person(world):
    edition = editions.get_current(world.deps)
    now = world.clock.now()
    assert members.membership_status("li@example.com", None, edition, now, email_verified=True)["note"] == \
        "非会员（会员名册中没有与您的邮箱或手机号相符的记录）"
    world.member("M1", email="li@example.com", dues_year=2025)
    status = members.membership_status("li@example.com", None, edition, now, email_verified=True)
    assert (status["is_member"], status["member_no"]) == (False, "M1")
    assert status["note"] == "会员名册中有您的记录，但未缴纳 2026 年度会费"
    world.member("M1", email="li@example.com", approved_at=None)
    assert members.membership_status("li@example.com", None, edition, now, email_verified=True)["note"] == \
        "已登记 2026 年度会费，但入会申请尚未审批通过"
    world.member("M1", email="li@example.com")
    status = members.membership_status(None, None, edition, now)
    assert status["is_member"] is False  # no contact, no match
    # the same row through an e-mail nobody verified: not a member, nothing of the row shown
    status = members.membership_status("li@example.com", None, edition, now)
    assert (status["is_member"], status["member_no"]) == (False, None)
    status = members.membership_status("li@example.com", None, edition, now, email_verified=True)
    assert (status["is_member"], status["tier"], status["approved_at"]) == (
        True, "member", "2026-03-01T09:00:00+08:00")
