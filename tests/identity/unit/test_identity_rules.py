"""Identity's rules on the in-memory repositories (no AWS): sign-up of personal and unit
accounts, the profile with its membership, and personal data on request (export, erasure
that waits while money or training is still moving)."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.identity import accounts
from chalicelib.privacy import service as privacy
from chalicelib.platform.errors import ConflictError, NotFoundError, ValidationError
from chalicelib.registration import service as registrations
from tests.conftest import at

FIELDS = {"unit_name": "国家图书馆", "job_title": "馆员", "region": "北京"}


# --- sign-up and the profile --------------------------------------------------------------
def test_personal_sign_up_saves_the_profile_and_audits_it(world):
    sub = world.person(email="Li@Example.COM", phone="+86 138-0013-8000")
    account = accounts.get_account(sub)
    assert (account.email, account.phone_norm, account.kind) == ("li@example.com", "13800138000", "personal")
    assert world.accounts.audit == [(f"account#{sub}", "account.created", sub, {"kind": "personal"})]
    assert world.identity.groups == {}


def test_a_unit_needs_its_name_and_a_valid_credit_code(world):
    with pytest.raises(ValidationError) as info:
        world.person(kind="unit", unit_name=None, credit_code="91110000600037341L")
    assert info.value.details["field"] == "unit_name"
    with pytest.raises(ValidationError) as info:
        world.person(kind="unit", unit_name="国家图书馆", credit_code="91110000600037341X")
    assert (info.value.code, info.value.details["field"]) == ("INVALID_CREDIT_CODE", "credit_code")
    assert info.value.message == "统一社会信用代码无效（校验位不符或格式错误）"
    assert world.identity.users == {}  # refused before the identity provider is asked
    sub = world.person(kind="unit", unit_name="国家图书馆", credit_code="91110000600037341l")
    assert accounts.get_account(sub).credit_code == "91110000600037341L"
    assert world.identity.groups == {"li@example.com": {"unit"}}


def test_a_profile_that_cannot_be_saved_removes_the_identity(world, monkeypatch):
    def broken(account: Any, now: Any) -> None:
        raise RuntimeError("storage down")
    monkeypatch.setattr(world.accounts, "create", broken)
    with pytest.raises(RuntimeError):
        world.person()
    assert world.identity.users == {}  # the e-mail can sign up again


def test_a_bad_phone_is_refused(world):
    with pytest.raises(ValidationError) as info:
        world.person(phone="12-34")
    assert info.value.details["field"] == "phone"


def test_missing_account_is_404(world):
    with pytest.raises(NotFoundError) as info:
        accounts.get_account("nobody")
    assert (info.value.code, info.value.message) == ("ACCOUNT_NOT_FOUND", "账号资料不存在")


def test_me_shows_roles_and_membership_or_none_without_an_edition(world):
    sub = world.person()
    world.member("M1", email="li@example.com")
    me = accounts.me(world.deps, sub, ["trainee"], world.clock.now())
    assert me["roles"] == ["trainee"]
    assert (me["membership"]["is_member"], me["membership"]["member_no"]) == (True, "M1")
    world.editions.current = None
    world.deps._edition_cache.clear()
    assert accounts.me(world.deps, sub, ["trainee"], world.clock.now())["membership"] is None


# --- personal data ------------------------------------------------------------------------
class FakeOrders:
    def __init__(self) -> None:
        self.orders: list[dict[str, Any]] = []

    def list_mine(self, deps: Any, user_sub: str) -> dict[str, Any]:
        return {"orders": list(self.orders)}


class FakeMail:
    def __init__(self) -> None:
        self.scrubbed: list[tuple[str, str]] = []

    def mails_to(self, email: str) -> list[dict[str, Any]]:
        return [{"mail_id": "m1", "to": email, "subject": "报名成功", "body": "……",
                 "template": "registration.approved"}]

    def scrub_recipient(self, email: str, placeholder: str) -> int:
        self.scrubbed.append((email, placeholder))
        return 1


class FakeIdentityData:
    """identity.personal_data (unit record, invitations, staff TOTP, codes): its own moto
    tests are tests/identity/test_privacy_coverage.py."""
    def __init__(self) -> None:
        self.erased: list[str] = []

    def export_view(self, account: Any) -> dict[str, Any]:
        return {"unit": None, "unit_invitations": {"received": [], "sent": []},
                "staff_mfa": None, "codes": [], "attempt_counters": "……"}

    def erase(self, deps: Any, account: Any, placeholder: str, actor: str,
              now: Any) -> dict[str, int]:
        self.erased.append(account.user_sub)
        return {"invitations": 0, "letters": 0, "codes": 0, "staff_mfa": 0}


@pytest.fixture
def people(world, monkeypatch):
    orders, mail = FakeOrders(), FakeMail()
    monkeypatch.setattr(privacy, "identity_data", FakeIdentityData())
    monkeypatch.setattr(privacy, "orders", orders)
    monkeypatch.setattr(privacy, "outbox", mail)
    monkeypatch.setattr(privacy, "invoices", SimpleNamespace(list_mine=lambda sub: {"invoices": []}))
    monkeypatch.setattr(privacy, "learning", SimpleNamespace(progress_of=lambda e, s: [
        SimpleNamespace(course_id="C01", credited_s=120)], response_of=lambda rid: None))
    monkeypatch.setattr(privacy, "history", lambda entity: [
        SimpleNamespace(entity=entity, action="registration.submitted", at=world.clock.now())])
    return SimpleNamespace(orders=orders, mail=mail)


def test_the_export_holds_everything_about_the_person(world, people):
    sub = world.person()
    rid = registrations.create_registration(world.deps, sub, FIELDS, world.clock.now())["registration_id"]
    data = privacy.export(world.deps, sub, world.clock.now())
    assert data["account"]["email"] == "li@example.com" and data["account"]["erased"] is False
    assert [r["registration_id"] for r in data["registrations"]] == [rid]
    assert data["learning"] == [{"edition_id": "2026", "course_id": "C01", "credited_s": 120}]
    assert data["mail"][0]["to"] == "li@example.com"
    assert data["history"] == [{"entity": f"registration#{rid}", "action": "registration.submitted",
                                "at": "2026-04-05T10:00:00+08:00"}]
    with pytest.raises(NotFoundError) as info:
        privacy.export(world.deps, "nobody", world.clock.now())
    assert (info.value.code, info.value.message) == ("ACCOUNT_NOT_FOUND", "账号不存在")


def test_erasure_waits_for_live_registrations_and_moving_money(world, people):
    sub = world.person()
    rid = registrations.create_registration(world.deps, sub, FIELDS, world.clock.now())["registration_id"]
    people.orders.orders = [{"order_id": "O1", "status": "open"}]
    with pytest.raises(ConflictError) as info:
        privacy.erase(world.deps, sub, sub, world.clock.now())
    assert info.value.code == "ERASURE_BLOCKED"
    assert (info.value.details["registrations"], info.value.details["orders"]) == ([rid], ["O1"])
    assert world.accounts.get(sub).name == "李玥"  # nothing changed


def test_a_paid_trainee_is_erased_only_after_the_certificate_window(world, people):
    sub = world.person()
    rid = registrations.create_registration(world.deps, sub, FIELDS, world.clock.now())["registration_id"]
    registrations.approve(world.deps, rid, "rev", world.clock.now())
    world.registrations.pay(rid, "O1", world.clock.now())
    with pytest.raises(ConflictError) as info:
        privacy.erase(world.deps, sub, sub, at("2026-06-30T23:59:59+08:00"))
    assert info.value.details["registrations"] == [rid]
    out = privacy.erase(world.deps, sub, sub, at("2026-07-01T00:00:00+08:00"))
    assert out == {"user_id": sub, "erased": True, "already": False, "registrations": 1, "mail": 1,
                   "refunds": 0, "invitations": 0, "letters": 0, "codes": 0, "staff_mfa": 0}
    reg = world.registrations.get(rid)
    assert (reg.name, reg.phone, reg.payment_status) == ("已注销用户", "-", "paid")
    account = world.accounts.get(sub)
    assert (account.name, account.phone, account.email) == ("已注销用户", None, f"erased-{sub}@erased.invalid")
    assert people.mail.scrubbed == [("li@example.com", f"erased-{sub}@erased.invalid")]
    assert "li@example.com" not in world.identity.users  # the sign-in is gone
    again = privacy.erase(world.deps, sub, "admin", at("2026-07-02T00:00:00+08:00"))
    assert again == {"user_id": sub, "erased": True, "already": True}
    assert [a for _, a, *_ in world.accounts.audit].count("account.erased") == 1
    assert privacy.export(world.deps, sub, world.clock.now())["mail"] == []
