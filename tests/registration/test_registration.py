"""Registration and review against moto: windows to the second, the locked tier, one live
registration per person under races, audit and mail."""
import threading

import pytest

from chalicelib.platform.errors import ConflictError, ForbiddenError, WindowClosedError
from chalicelib.identity import accounts
from chalicelib.editions import members
from chalicelib.registration import service as registrations
from chalicelib.platform.store.audit import history
from chalicelib.platform.mail.repository import Mail
from tests.conftest import PASSWORD, at, unique_email

FIELDS = {"unit_name": "国家图书馆", "job_title": "馆员", "region": "北京"}


def person(deps, email=None, phone="13800138000", name="李玥"):
    email = email or unique_email()
    view = accounts.sign_up(deps, email=email, password=PASSWORD, name=name, phone=phone,
                            kind="personal", unit_name=None, credit_code=None, now=deps.now())
    return view["user_id"], email


@pytest.mark.parametrize("when,ok", [
    ("2026-04-02T23:59:59+08:00", False),
    ("2026-04-03T00:00:00+08:00", True),
    ("2026-04-10T23:59:59+08:00", True),
    ("2026-04-11T00:00:00+08:00", False),
])
def test_registration_window_to_the_second(deps, clock, when, ok):
    sub, _ = person(deps)
    if ok:
        reg = registrations.create_registration(deps, sub, FIELDS, at(when))
        assert reg["status"] == "pending"
    else:
        with pytest.raises(WindowClosedError) as info:
            registrations.create_registration(deps, sub, FIELDS, at(when))
        assert info.value.details["window"] == "registration"
        assert registrations.list_mine(sub)["registrations"] == []  # nothing written


def test_tier_is_decided_at_submission_and_locked(deps, clock):
    sub, email = person(deps)
    # Given a roster row approved one second AFTER the submission moment
    submitted = at("2026-04-05T10:00:00+08:00")
    members.upsert_members([{"name": "李玥", "email": email, "member_no": "M1", "dues_year": 2026,
                             "approved_at": "2026-04-05T10:00:01+08:00"}], "admin", submitted)
    reg = registrations.create_registration(deps, sub, FIELDS, submitted)
    assert (reg["tier"], reg["fee_fen"]) == ("non_member", 49000)
    # When the roster later says member, the registration is not repriced
    members.upsert_members([{"name": "李玥", "email": email, "member_no": "M1", "dues_year": 2026,
                             "approved_at": "2026-03-01T09:00:00+08:00"}], "admin", submitted)
    assert registrations.list_mine(sub)["registrations"][0]["fee_fen"] == 49000


def test_member_by_mobile_number_pays_member_fee_once_the_phone_is_verified(deps, clock):
    from chalicelib.dev.sms_outbox import list_sms
    from chalicelib.identity import verification
    sub, _ = person(deps, phone="139 1234 5678")
    members.upsert_members([{"name": "李玥", "phone": "+86 13912345678", "member_no": "M2",
                             "dues_year": 2026, "approved_at": "2026-03-01T09:00:00+08:00"}],
                           "admin", deps.now())
    verification.send_phone_code(deps, sub, "127.0.0.1", deps.now())  # issue 14: SMS code
    code = list_sms("13912345678")[0]["code"]
    verification.verify_phone(deps, sub, ["trainee"], code, "127.0.0.1", deps.now())
    reg = registrations.create_registration(deps, sub, FIELDS, deps.now())
    assert (reg["tier"], reg["fee_fen"]) == ("member", 40000)


def test_last_years_dues_do_not_make_a_member(deps, clock):
    sub, email = person(deps)
    members.upsert_members([{"name": "李玥", "email": email, "member_no": "M3", "dues_year": 2025,
                             "approved_at": "2025-03-01T09:00:00+08:00"}], "admin", deps.now())
    reg = registrations.create_registration(deps, sub, FIELDS, deps.now())
    assert reg["tier"] == "non_member"


def test_concurrent_duplicate_registrations_make_exactly_one(deps, clock):
    sub, _ = person(deps)
    results = []

    def submit():
        try:
            results.append(registrations.create_registration(deps, sub, FIELDS, deps.now()))
        except ConflictError as exc:
            results.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    created = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert len(created) == 1 and len(refused) == 7
    assert all(r.code == "ALREADY_REGISTERED" for r in refused)
    assert len(registrations.list_mine(sub)["registrations"]) == 1


def test_rejected_person_may_register_again_and_sees_the_reason(deps, clock):
    sub, email = person(deps)
    reg = registrations.create_registration(deps, sub, FIELDS, deps.now())
    rejected = registrations.reject(deps, reg["registration_id"], "单位名称不完整", "rev-1", deps.now())
    assert rejected["status"] == "rejected" and rejected["reject_reason"] == "单位名称不完整"
    again = registrations.create_registration(deps, sub, FIELDS, deps.now())
    assert again["registration_id"] != reg["registration_id"]
    mails = list(Mail.by_recipient.query(email))
    assert [m.template for m in mails] == ["registration.rejected"]
    assert "单位名称不完整" in mails[0].body and mails[0].status == "sent"


def test_review_continues_after_the_window_and_is_audited(deps, clock):
    sub, email = person(deps)
    reg = registrations.create_registration(deps, sub, FIELDS, deps.now())
    later = at("2026-04-20T09:00:00+08:00")
    approved = registrations.approve(deps, reg["registration_id"], "rev-1", later)
    assert approved["status"] == "approved" and approved["reviewed_at"] == "2026-04-20T09:00:00+08:00"
    actions = [(e.action, e.actor) for e in history(f"registration#{reg['registration_id']}")]
    assert actions == [("registration.submitted", sub), ("registration.approved", "rev-1")]
    # a repeated approval changes nothing and sends no second mail
    registrations.approve(deps, reg["registration_id"], "rev-2", later)
    assert len(history(f"registration#{reg['registration_id']}")) == 2
    assert [m.template for m in Mail.by_recipient.query(email)] == ["registration.approved"]


def test_racing_approve_and_reject_one_wins(deps, clock):
    sub, _ = person(deps)
    reg = registrations.create_registration(deps, sub, FIELDS, deps.now())
    outcomes = []

    def act(kind):
        try:
            if kind == "approve":
                outcomes.append(registrations.approve(deps, reg["registration_id"], "r1", deps.now())["status"])
            else:
                outcomes.append(registrations.reject(deps, reg["registration_id"], "x", "r2", deps.now())["status"])
        except ConflictError:
            outcomes.append("refused")

    threads = [threading.Thread(target=act, args=(k,)) for k in ("approve", "reject") * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = registrations.get_for_staff(reg["registration_id"]).status
    transitions = [e for e in history(f"registration#{reg['registration_id']}")
                   if e.action != "registration.submitted"]
    assert len(transitions) == 1 and transitions[0].action == f"registration.{final}"


def test_withdraw_then_register_again(deps, clock):
    sub, _ = person(deps)
    reg = registrations.create_registration(deps, sub, FIELDS, deps.now())
    out = registrations.withdraw(deps, reg["registration_id"], sub, deps.now())
    assert out["status"] == "withdrawn"
    with pytest.raises(ConflictError):
        registrations.withdraw(deps, reg["registration_id"], sub, deps.now())
    assert registrations.create_registration(deps, sub, FIELDS, deps.now())["status"] == "pending"


def test_unit_account_cannot_register(deps, clock):
    view = accounts.sign_up(deps, email=unique_email(), password=PASSWORD, name="联系人",
                            phone="13800138000", kind="unit", unit_name="国家图书馆",
                            credit_code="91110000600037341L", now=deps.now())
    with pytest.raises(ForbiddenError):
        registrations.create_registration(deps, view["user_id"], FIELDS, deps.now())


def test_review_queue_is_oldest_first_and_paginated(deps, clock):
    ids = []
    for minute in range(5):
        sub, _ = person(deps)
        when = at(f"2026-04-05T10:0{minute}:00+08:00")
        ids.append(registrations.create_registration(deps, sub, FIELDS, when)["registration_id"])
    page1 = registrations.list_for_review(deps, "pending", 2, None, None)
    page2 = registrations.list_for_review(deps, "pending", 2, page1["next_token"], None)
    page3 = registrations.list_for_review(deps, "pending", 2, page2["next_token"], None)
    seen = [r["registration_id"] for p in (page1, page2, page3) for r in p["registrations"]]
    assert seen == ids


def test_failed_mail_is_kept_and_sent_later(deps, clock):
    from chalicelib.platform.mail import outbox as mail

    class Down:
        def send(self, *a):  # what the SES adapter raises when SES is unreachable
            from chalicelib.platform.mail.ses import MailSendError
            raise MailSendError("EndpointConnectionError")

    sub, email = person(deps)
    reg = registrations.create_registration(deps, sub, FIELDS, deps.now())
    real = deps.mailer
    deps.mailer = Down()
    registrations.approve(deps, reg["registration_id"], "rev", deps.now())  # committed anyway
    assert registrations.get_for_staff(reg["registration_id"]).status == "approved"
    assert [m.status for m in Mail.by_recipient.query(email)] == ["pending"]
    deps.mailer = real
    assert mail.send_pending(deps, deps.now()) == {"sent": 1, "failed": 0}
    assert [m.status for m in Mail.by_recipient.query(email)] == ["sent"]
