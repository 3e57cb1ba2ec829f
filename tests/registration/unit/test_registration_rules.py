"""Registration's rules on the in-memory repositories (no AWS): one live registration per
person and edition, the tier decided at submission and locked, the review moves the state
table allows, withdrawal while unpaid, bulk approval, the review queue and its reminder."""
from __future__ import annotations

import pytest

from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError, WindowClosedError
from chalicelib.registration import jobs, service as registrations
from tests.conftest import at

FIELDS = {"unit_name": "国家图书馆", "job_title": "馆员", "region": "北京"}


def submit(world, sub, when=None, **fields):
    return registrations.create_registration(world.deps, sub, {**FIELDS, **fields},
                                             when or world.clock.now())


# --- submission ---------------------------------------------------------------------------
def test_a_second_live_registration_is_refused_and_names_the_first(world):
    sub = world.person()
    first = submit(world, sub)
    with pytest.raises(ConflictError) as info:
        submit(world, sub)
    assert info.value.code == "ALREADY_REGISTERED" and info.value.status == 409
    assert info.value.message == "您已报名本届培训，不能重复报名"
    assert info.value.details["registration_id"] == first["registration_id"]
    assert len(registrations.list_mine(sub)["registrations"]) == 1


def test_after_rejection_or_withdrawal_the_person_may_register_again(world):
    sub = world.person()
    rejected = submit(world, sub)
    registrations.reject(world.deps, rejected["registration_id"], "单位名称不完整", "rev", world.clock.now())
    world.clock.advance(minutes=1)
    withdrawn = submit(world, sub)
    registrations.withdraw(world.deps, withdrawn["registration_id"], sub, world.clock.now())
    world.clock.advance(minutes=1)
    third = submit(world, sub)
    assert third["status"] == "pending"
    assert [r["status"] for r in registrations.list_mine(sub)["registrations"]] == [
        "pending", "withdrawn", "rejected"]


@pytest.mark.parametrize("when,ok", [
    ("2026-04-02T23:59:59+08:00", False), ("2026-04-03T00:00:00+08:00", True),
    ("2026-04-10T23:59:59+08:00", True), ("2026-04-11T00:00:00+08:00", False)])
def test_the_window_to_the_second(world, when, ok):
    sub = world.person()
    if ok:
        assert submit(world, sub, at(when))["status"] == "pending"
    else:
        with pytest.raises(WindowClosedError):
            submit(world, sub, at(when))
        assert world.registrations.items == {}


def test_a_unit_account_cannot_register(world):
    sub = world.person(kind="unit", unit_name="国家图书馆", credit_code="91110000600037341L")
    with pytest.raises(ForbiddenError) as info:
        submit(world, sub)
    assert info.value.code == "PERSONAL_ACCOUNT_REQUIRED"


def test_contact_defaults_to_the_account_and_a_bad_phone_is_refused(world):
    sub = world.person(email="Li@Example.com", phone="139 1234 5678")
    reg = submit(world, sub)
    assert (reg["name"], reg["email"], reg["phone"]) == ("李玥", "li@example.com", "139 1234 5678")
    other = world.person(email="wang@example.com")
    with pytest.raises(ValidationError) as info:
        submit(world, other, phone="12-34")
    assert info.value.details["field"] == "phone"
    with pytest.raises(ValidationError) as info:
        submit(world, other, unit_name="  ")
    assert info.value.details["field"] == "unit_name"


# --- tier ---------------------------------------------------------------------------------
def test_member_by_e_mail_pays_the_member_fee(world):
    sub = world.person()
    world.member("M1", email="li@example.com")
    reg = submit(world, sub)
    assert (reg["tier"], reg["fee_fen"]) == ("member", 40000)


def test_member_by_mobile_number_after_normalisation(world):
    sub = world.person(email="zhao@example.com", phone="139 1234 5678")
    world.member("M2", phone="+86 13912345678")
    # issue 14: the roster phone counts once the account's phone is verified (SMS code)
    world.accounts.mark_phone_verified(world.accounts.get(sub), "13912345678", world.clock.now())
    assert submit(world, sub)["tier"] == "member"


def test_an_unverified_phone_on_the_roster_prices_as_non_member(world):
    sub = world.person(email="zhao@example.com", phone="139 1234 5678")
    world.member("M2", phone="+86 13912345678")
    assert submit(world, sub)["tier"] == "non_member"


@pytest.mark.parametrize("approved_at,dues_year", [
    ("2026-04-05T10:00:00+08:00", 2026),  # approved at the very moment of submission: not before
    ("2026-04-05T10:00:01+08:00", 2026),
    (None, 2026),  # dues paid, application not approved
    ("2025-03-01T09:00:00+08:00", 2025),  # last year's dues
])
def test_not_a_member_at_submission_pays_the_non_member_fee(world, approved_at, dues_year):
    sub = world.person()
    world.member("M3", approved_at=approved_at, dues_year=dues_year, email="li@example.com")
    reg = submit(world, sub)
    assert (reg["tier"], reg["fee_fen"]) == ("non_member", 49000)


def test_the_tier_is_locked_at_submission(world):
    sub = world.person()
    reg = submit(world, sub)
    world.member("M4", email="li@example.com")  # the roster says member afterwards
    assert registrations.list_mine(sub)["registrations"][0]["fee_fen"] == reg["fee_fen"] == 49000


# --- review -------------------------------------------------------------------------------
def test_approval_mails_the_fee_once_and_a_repeat_changes_nothing(world):
    sub = world.person()
    world.member("M5", email="li@example.com")
    reg = submit(world, sub)
    later = at("2026-04-20T09:00:00+08:00")  # review continues after the window
    out = registrations.approve(world.deps, reg["registration_id"], "rev-1", later)
    assert (out["status"], out["reviewed_at"]) == ("approved", "2026-04-20T09:00:00+08:00")
    again = registrations.approve(world.deps, reg["registration_id"], "rev-2", later)
    assert again["status"] == "approved"
    [body] = world.outbox.to("li@example.com", "registration.approved")
    assert "培训费：400.00 元（会员）" in body
    actions = [a for e, a, *_ in world.registrations.audit if e == f"registration#{reg['registration_id']}"]
    assert actions == ["registration.submitted", "registration.approved"]


@pytest.mark.parametrize("move", ["approve", "reject"])
def test_a_rejected_registration_can_be_neither_approved_nor_rejected(world, move):
    sub = world.person()
    reg = submit(world, sub)
    registrations.reject(world.deps, reg["registration_id"], "资料不全", "rev", world.clock.now())
    with pytest.raises(ConflictError) as info:
        if move == "approve":
            registrations.approve(world.deps, reg["registration_id"], "rev", world.clock.now())
        else:
            registrations.reject(world.deps, reg["registration_id"], "再驳回", "rev", world.clock.now())
    word = "通过" if move == "approve" else "驳回"
    assert info.value.code == "INVALID_STATE"
    assert info.value.message == f"该报名当前状态为 rejected，不能{word}"


def test_rejection_needs_a_reason_and_the_trainee_is_told_it(world):
    sub = world.person()
    reg = submit(world, sub)
    with pytest.raises(ValidationError) as info:
        registrations.reject(world.deps, reg["registration_id"], "   ", "rev", world.clock.now())
    assert info.value.details["field"] == "reason"
    out = registrations.reject(world.deps, reg["registration_id"], " 单位名称不完整 ", "rev",
                               world.clock.now())
    assert (out["status"], out["reject_reason"]) == ("rejected", "单位名称不完整")
    [body] = world.outbox.to("li@example.com", "registration.rejected")
    assert "原因：单位名称不完整" in body
    assert world.registrations.live_registration_id("2026", sub) is None


def test_unknown_registration_is_404(world):
    with pytest.raises(NotFoundError) as info:
        registrations.approve(world.deps, "RNOPE", "rev", world.clock.now())
    assert (info.value.code, info.value.message) == ("REGISTRATION_NOT_FOUND", "报名记录不存在")


def test_bulk_approval_reports_each(world):
    a = submit(world, world.person("a@example.com"))["registration_id"]
    b = submit(world, world.person("b@example.com"))["registration_id"]
    registrations.reject(world.deps, b, "x", "rev", world.clock.now())
    out = registrations.bulk_approve(world.deps, [a, b, "RNOPE", a], "rev", world.clock.now())
    assert out["approved"] == 2  # the repeated id is an approval that changes nothing
    assert out["results"][0] == {"registration_id": a, "ok": True}
    assert (out["results"][1]["code"], out["results"][2]["code"]) == ("INVALID_STATE",
                                                                      "REGISTRATION_NOT_FOUND")
    assert len(world.outbox.to("a@example.com", "registration.approved")) == 1


# --- withdrawal ---------------------------------------------------------------------------
@pytest.mark.parametrize("approved", [False, True])
def test_a_live_unpaid_registration_can_be_withdrawn_once(world, approved):
    sub = world.person()
    reg = submit(world, sub)
    if approved:
        registrations.approve(world.deps, reg["registration_id"], "rev", world.clock.now())
    out = registrations.withdraw(world.deps, reg["registration_id"], sub, world.clock.now())
    assert out["status"] == "withdrawn"
    with pytest.raises(ConflictError) as info:
        registrations.withdraw(world.deps, reg["registration_id"], sub, world.clock.now())
    assert (info.value.code, info.value.message) == ("INVALID_STATE", "该报名已结束，无需撤回")


def test_withdrawal_first_frees_the_unpaid_order_holding_it(world):
    sub = world.person()
    rid = submit(world, sub)["registration_id"]
    registrations.approve(world.deps, rid, "rev", world.clock.now())
    world.registrations.hold(rid, "O1")
    assert registrations.withdraw(world.deps, rid, sub, world.clock.now())["status"] == "withdrawn"
    assert world.billing.closed == [(rid, "registration_withdrawn")]


def test_a_paid_registration_cannot_be_withdrawn(world):
    sub = world.person()
    rid = submit(world, sub)["registration_id"]
    registrations.approve(world.deps, rid, "rev", world.clock.now())
    world.registrations.pay(rid, "O1", world.clock.now())
    with pytest.raises(ConflictError) as info:
        registrations.withdraw(world.deps, rid, sub, world.clock.now())
    assert (info.value.code, info.value.message) == ("ALREADY_PAID", "已交费的报名不能撤回，请申请退费")


def test_someone_elses_registration_is_reported_missing(world):
    rid = submit(world, world.person("a@example.com"))["registration_id"]
    other = world.person("b@example.com")
    with pytest.raises(NotFoundError) as info:
        registrations.withdraw(world.deps, rid, other, world.clock.now())
    assert info.value.code == "REGISTRATION_NOT_FOUND"


# --- the review queue and its reminder ----------------------------------------------------
def test_the_queue_is_oldest_first_with_next_token_only_when_there_is_more(world):
    ids = [submit(world, world.person(f"p{i}@example.com"), at(f"2026-04-05T1{i}:00:00+08:00"))
           ["registration_id"] for i in range(3)]
    page1 = registrations.list_for_review(world.deps, "pending", 2, None, None)
    page2 = registrations.list_for_review(world.deps, "pending", 2, page1["next_token"], None)
    assert [r["registration_id"] for r in page1["registrations"] + page2["registrations"]] == ids
    assert "next_token" not in page2
    with pytest.raises(NotFoundError) as info:
        registrations.list_for_review(world.deps, "pending", 2, None, "2099")
    assert info.value.code == "EDITION_NOT_FOUND" and info.value.message == "届次 2099 不存在"


def test_the_closing_reminder_counts_pending_and_mails_once(world):
    from chalicelib.editions.service import get_current
    edition = get_current(world.deps)
    for i in range(2):
        submit(world, world.person(f"p{i}@example.com"))
    closed = at("2026-04-11T00:00:00+08:00")
    counts, cursor = jobs.remind_pending_reviews(world.deps, edition, closed, None, 10.0)
    assert (counts, cursor) == ({"pending": 2, "mailed": 1}, None)
    [to] = jobs.review_recipients(edition)
    [body] = world.outbox.to(to, "registration.review_reminder")
    assert "仍有 2 条报名待审核" in body and "2026年4月10日 24:00" in body
    assert jobs.remind_pending_reviews(world.deps, edition, closed, None, 10.0)[0]["mailed"] == 0


def test_no_reminder_when_nothing_waits(world):
    from chalicelib.editions.service import get_current
    counts, _ = jobs.remind_pending_reviews(world.deps, get_current(world.deps),
                                            at("2026-04-11T00:00:00+08:00"), None, 10.0)
    assert counts == {"pending": 0, "mailed": 0} and world.outbox.sent == {}
