"""The editions' and roster's in-memory twins answer as DynamoDB (moto) does."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.editions.members_repository import Member, MemberRepository
from chalicelib.editions.repository import EditionRepository
from tests.editions.memory import InMemoryEditionRepository, InMemoryMemberRepository

T0 = datetime(2026, 4, 5, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return InMemoryEditionRepository(), InMemoryMemberRepository()
    request.getfixturevalue("deps")  # fresh tables on the embedded AWS (the seed is there)
    return EditionRepository(), MemberRepository()


def test_editions_are_versioned(store):
    editions, _ = store
    assert editions.create("E1", {"a": 1}, "admin", T0)
    assert not editions.create("E1", {"a": 2}, "admin", T0)
    assert not editions.seed("E1", {"a": 3}, T0)
    assert editions.replace("E1", {"a": 4}, 1, "admin", T0)
    assert not editions.replace("E1", {"a": 5}, 1, "admin", T0)
    item = editions.get("E1", consistent_read=True)
    assert (item.document, item.version, item.updated_by) == ({"a": 4}, 2, "admin")
    assert editions.get("E2") is None
    editions.set_current("E1")
    assert editions.current_id() == "E1"


def test_roster_rows_are_found_by_e_mail_or_phone_once(store):
    _, roster = store
    rows = [Member(member_no=f"M{i}", name="李玥", email_norm="li@example.com" if i < 2 else None,
                   phone_norm="13800138000" if i > 0 else None, dues_year=2026) for i in range(3)]
    assert roster.upsert_many(rows, "admin", T0) == 3
    found = roster.find("li@example.com", "13800138000")
    assert sorted(m.member_no for m in found) == ["M0", "M1", "M2"]
    assert [m.member_no for m in roster.find(None, "13800138000") if m.member_no == "M0"] == []
    assert roster.find(None, None) == []
    roster.upsert_many([Member(member_no="M0", name="改名", email_norm="li@example.com",
                               dues_year=2027)], "admin", T0)
    [m0] = [m for m in roster.find("li@example.com", None) if m.member_no == "M0"]
    assert (m0.name, m0.dues_year, m0.updated_at) == ("改名", 2027, T0)


def test_roster_pages_cover_every_row_once_and_filter_by_name_or_number(store):
    _, roster = store
    roster.upsert_many([Member(member_no=f"P{i}", name=("周" if i % 2 else "王") + str(i),
                               email_norm=f"p{i}@example.com", dues_year=2026)
                        for i in range(5)], "admin", T0)
    seen, token = [], None
    while True:
        items, token = roster.page(2, token)
        assert len(items) <= 2
        seen.extend(m.member_no for m in items)
        if token is None:
            break
    assert sorted(seen) == [f"P{i}" for i in range(5)]
    found, token = [], None
    while True:  # a filtered page may hold fewer rows than it read
        items, token = roster.page(2, token, "周")
        found.extend(m.member_no for m in items)
        if token is None:
            break
    assert sorted(found) == ["P1", "P3"]
    assert [m.member_no for m in roster.page(10, None, "P4")[0]] == ["P4"]


def test_roster_lookup_answers_each_contact_point_apart_and_follows_edits(store):
    _, roster = store
    roster.upsert_many([Member(member_no="L1", name="李玥", email_norm="li@example.com",
                               phone_norm="13800138000", dues_year=2026),
                        Member(member_no="L2", name="王芳", phone_norm="13800138000",
                               dues_year=2026)], "admin", T0)
    by_email, by_phone = roster.lookup("li@example.com", "13800138000")
    assert [m.member_no for m in by_email] == ["L1"]
    assert sorted(m.member_no for m in by_phone) == ["L1", "L2"]
    assert roster.lookup(None, None) == ([], [])
    roster.upsert_many([Member(member_no="L1", name="李玥", email_norm="new@example.com",
                               dues_year=2025)], "admin", T0)
    by_email, by_phone = roster.lookup("li@example.com", "13800138000")
    assert by_email == [] and [m.member_no for m in by_phone] == ["L2"]
    [moved] = roster.lookup("new@example.com", None)[0]
    assert (moved.member_no, moved.dues_year, moved.phone_norm, moved.rev) == ("L1", 2025, None, 2)
