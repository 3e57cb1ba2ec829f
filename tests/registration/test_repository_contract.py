"""The in-memory twin keeps the real repository's promises: the same calls give the same
answers against DynamoDB (moto) and against dicts, so the fast tests stand on the same
rules as production."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Iterator

import pytest

from chalicelib.registration.repository import Registration, RegistrationRepository
from tests.fakes import twin_and_real
from tests.registration.memory import InMemoryRegistrationRepository

T0 = datetime(2026, 4, 5, 2, 0, tzinfo=UTC)


repo = twin_and_real(InMemoryRegistrationRepository, RegistrationRepository)


def registration(rid: str, user: str, minute: int = 0, email: str = "li@example.com",
                 unit: str = "国家图书馆") -> Registration:
    return Registration(registration_id=rid, edition_id="2026", user_sub=user, name="李玥",
                        unit_name=unit, job_title="馆员", region="北京", phone="13800138000",
                        email=email, status="pending", payment_status="unpaid", tier="non_member",
                        fee_fen=49000, submitted_at=T0 + timedelta(minutes=minute),
                        edition_unit=f"2026#{unit}", edition_email=f"2026#{email}")


def test_one_live_registration_per_person_and_edition(repo):
    assert repo.create(registration("R1", "u1"), "u1", T0)
    assert not repo.create(registration("R2", "u1", 1), "u1", T0)
    assert repo.live_registration_id("2026", "u1") == "R1"
    assert repo.get("R2") is None and repo.get("R1").status == "pending"
    assert repo.reject(repo.get("R1"), "资料不全", "rev", T0)
    assert repo.live_registration_id("2026", "u1") is None
    assert repo.create(registration("R2", "u1", 1), "u1", T0)
    assert [r.registration_id for r in repo.list_mine("u1")] == ["R2", "R1"]  # newest first


def test_moves_only_from_the_states_the_table_allows(repo):
    repo.create(registration("R1", "u1"), "u1", T0)
    reg = repo.get("R1")
    assert repo.approve(reg, "rev", T0)
    assert (reg.status, reg.reviewed_by) == ("approved", "rev")  # what was written, in place
    stored = repo.get("R1")
    assert (stored.status, stored.edition_status, stored.reviewed_by) == ("approved", "2026#approved", "rev")
    assert not repo.approve(repo.get("R1"), "rev", T0)
    assert not repo.reject(repo.get("R1"), "x", "rev", T0)
    assert repo.withdraw(repo.get("R1"), "u1", T0)
    assert not repo.withdraw(repo.get("R1"), "u1", T0)
    assert repo.get("R1").status == "withdrawn" and repo.live_registration_id("2026", "u1") is None


def test_the_review_queue_is_oldest_first_and_paged(repo):
    for i in (2, 0, 1):
        repo.create(registration(f"R{i}", f"u{i}", minute=i), f"u{i}", T0)
    repo.approve(repo.get("R1"), "rev", T0)
    assert repo.count_by_status("2026", "pending") == 2
    page, token = repo.list_by_status("2026", "pending", 1, None)
    rest, last = repo.list_by_status("2026", "pending", 5, token)
    assert [r.registration_id for r in page + rest] == ["R0", "R2"] and token and last is None
    assert [r.registration_id for r in repo.first_by_status("2026", "pending", 1)] == ["R0"]
    assert [r.registration_id for r in repo.first_by_status("2026", "pending", 5)] == ["R0", "R2"]
    assert [r.registration_id for r in repo.all_by_status("2026", "approved")] == ["R1"]


@contextmanager
def dynamodb_limit_semantics(repo: Any) -> Iterator[None]:
    """DynamoDB's documented paging, which moto does not copy: a Query that stops at its
    Limit answers a LastEvaluatedKey even when nothing follows ("If LastEvaluatedKey is not
    empty, it does not necessarily mean that there is more data"; moto sets it only when
    another item exists). Added to the answer on the wire (botocore `after-call`; the Limit seen at parameter build)."""
    if isinstance(repo, InMemoryRegistrationRepository):
        yield
        return
    from chalicelib.platform.store.base import connection
    events = connection().client.meta.events
    limits: list[int] = []

    def before(params: dict[str, Any], **_: Any) -> None:
        limits.append(int(params.get("Limit") or 0))

    def after(parsed: dict[str, Any], **_: Any) -> None:
        items = parsed.get("Items") or []
        if limits and items and len(items) == limits[-1] and "LastEvaluatedKey" not in parsed:
            last = items[-1]
            parsed["LastEvaluatedKey"] = {k: last[k] for k in
                                          ("registration_id", "edition_status", "submitted_at")}
    events.register("before-parameter-build.dynamodb.Query", before)
    events.register("after-call.dynamodb.Query", after)
    try:
        yield
    finally:
        events.unregister("before-parameter-build.dynamodb.Query", before)
        events.unregister("after-call.dynamodb.Query", after)


def test_a_page_exactly_full_answers_no_next_token(repo):
    """加载更多 only when there is more: DynamoDB answers a LastEvaluatedKey for a page that
    is exactly full, which would offer an empty next page."""
    for i in range(4):
        repo.create(registration(f"R{i}", f"u{i}", minute=i), f"u{i}", T0)
    with dynamodb_limit_semantics(repo):
        page, token = repo.list_by_status("2026", "pending", 4, None)
        first, token2 = repo.list_by_status("2026", "pending", 2, None)
        second, last = repo.list_by_status("2026", "pending", 2, token2)
    assert [r.registration_id for r in page] == ["R0", "R1", "R2", "R3"] and token is None
    assert [r.registration_id for r in first + second] == ["R0", "R1", "R2", "R3"]
    assert token2 and last is None


def test_found_by_unit_e_mail_and_many_ids(repo):
    repo.create(registration("R1", "u1", unit="国家图书馆"), "u1", T0)
    repo.create(registration("R2", "u2", email="b@example.com", unit="首都图书馆"), "u2", T0)
    assert [r.registration_id for r in repo.list_by_unit("2026", "国家图书馆")] == ["R1"]
    assert [r.registration_id for r in repo.find_by_email("2026", "b@example.com")] == ["R2"]
    assert sorted(r.registration_id for r in repo.get_many(["R2", "R1", "R9", "R1"])) == ["R1", "R2"]


def test_scrubbing_replaces_name_and_contact_and_keeps_the_facts(repo):
    repo.create(registration("R1", "u1"), "u1", T0)
    repo.approve(repo.get("R1"), "rev", T0)
    assert repo.scrub_person("u1", repo.list_mine("u1"), "已注销用户", "-", "erased@x.invalid") == 1
    reg = repo.get("R1")
    assert (reg.name, reg.phone, reg.email, reg.status) == ("已注销用户", "-", "erased@x.invalid", "approved")
    assert repo.find_by_email("2026", "li@example.com") == []


def test_an_unknown_state_is_refused_before_anything_is_written(repo):
    bad = registration("R1", "u1")
    bad.status = "accepted"
    with pytest.raises(ValueError, match="unknown state"):
        repo.create(bad, "u1", T0)
    assert repo.get("R1") is None


def test_a_registration_is_linked_to_one_unit_and_unlinked_as_it_was_read(repo):
    assert repo.create(registration("R1", "u1"), "u1", T0)
    assert repo.create(registration("R2", "u2", minute=1), "u2", T0)
    reg = repo.get("R1")
    assert repo.link_unit(reg, "unit-a", "u1", T0)
    assert not repo.link_unit(repo.get("R1"), "unit-b", "u1", T0)  # linked to one unit only
    assert repo.link_unit(repo.get("R2"), "unit-a", "u2", T0)
    assert [r.registration_id for r in repo.list_linked("2026", "unit-a")] == ["R1", "R2"]
    assert repo.list_linked("2026", "unit-b") == []
    stale = repo.get("R1")
    repo.hold("R1", "G1") if hasattr(repo, "hold") else _hold("R1", "G1")
    assert not repo.unlink_unit(stale, "u1", T0)  # a group reserved it meanwhile
    assert repo.unlink_unit(repo.get("R1"), "u1", T0)  # read again: held by G1, as read
    assert repo.get("R1").unit_id is None
    assert [r.registration_id for r in repo.list_linked("2026", "unit-a")] == ["R2"]
    assert repo.reject(repo.get("R2"), "x", "rev", T0)
    rejected = repo.get("R2")
    assert repo.unlink_unit(rejected, "u2", T0)
    assert not repo.link_unit(repo.get("R2"), "unit-a", "u2", T0)  # only a live registration


def _hold(registration_id: str, order_id: str) -> None:
    Registration(registration_id=registration_id).update(
        actions=[Registration.open_order_id.set(order_id)])
