"""The unit and staff-MFA twins keep the real repositories' promises (moto and dicts)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.identity.mfa_repository import StaffMfa, StaffMfaRepository
from chalicelib.identity.states import UnitStatus
from chalicelib.identity.unit_repository import UnitInvitation, UnitProfile, UnitRepository
from tests.fakes import twin_and_real
from tests.identity.unit_memory import InMemoryStaffMfaRepository, InMemoryUnitRepository

T0 = datetime(2026, 4, 5, 2, 0, tzinfo=UTC)

repo = twin_and_real(InMemoryUnitRepository, UnitRepository)
mfa_repo = twin_and_real(InMemoryStaffMfaRepository, StaffMfaRepository)


def profile(unit_id: str, minute: int = 0) -> UnitProfile:
    return UnitProfile(unit_id=unit_id, unit_name="国家图书馆", credit_code="12100000400010398P",
                       email=f"{unit_id}@example.com", status="pending",
                       submitted_at=T0 + timedelta(minutes=minute))


def test_a_unit_is_reviewed_once_from_the_letter_staff_saw(repo):
    assert repo.create(profile("U1"), T0)
    assert not repo.create(profile("U1"), T0)  # one profile per unit account
    seen = repo.get("U1")
    assert repo.set_letter(seen, "k1", "application/pdf", T0)
    # The reviewer looked at the version before the letter: their verdict does not commit
    assert not repo.review(seen, UnitStatus.VERIFIED, "admin", T0, None, "国家图书馆")
    current = repo.get("U1")
    assert repo.review(current, UnitStatus.REJECTED, "admin", T0, "未盖章", None)
    rejected = repo.get("U1")
    assert (rejected.status, rejected.reject_reason) == ("rejected", "未盖章")
    assert not repo.review(rejected, UnitStatus.VERIFIED, "admin", T0, None, "x")  # rejected -> verified: no
    assert repo.set_letter(rejected, "k2", "image/png", T0)  # a new letter resubmits
    again = repo.get("U1")
    assert (again.status, again.letter_key) == ("pending", "k2")
    assert repo.review(again, UnitStatus.VERIFIED, "finance", T0, None, "国家图书馆")
    done = repo.get("U1")
    assert (done.status, done.reject_reason, done.verified_name) == ("verified", None, "国家图书馆")
    assert not repo.set_letter(done, "k3", "image/png", T0)  # a verified letter stays


def test_the_queue_and_the_verified_names(repo):
    for n in range(3):
        assert repo.create(profile(f"U{n}", minute=n), T0)
    page, token = repo.page_by_status("pending", 2, None)
    assert [p.unit_id for p in page] == ["U0", "U1"] and token
    rest, token = repo.page_by_status("pending", 2, token)
    assert [p.unit_id for p in rest] == ["U2"] and token is None
    assert repo.verified_by_name("国家图书馆") == []
    assert repo.review(repo.get("U1"), UnitStatus.VERIFIED, "admin", T0, None, "国家图书馆")
    assert [p.unit_id for p in repo.verified_by_name("国家图书馆")] == ["U1"]
    assert [p.unit_id for p in repo.page_by_status("verified", 10, None)[0]] == ["U1"]


def test_invitations_by_e_mail(repo):
    repo.invite(UnitInvitation(email="li@example.com", unit_id="U1", unit_name="甲", invited_at=T0), T0)
    repo.invite(UnitInvitation(email="li@example.com", unit_id="U1", unit_name="甲", invited_at=T0), T0)
    repo.invite(UnitInvitation(email="li@example.com", unit_id="U2", unit_name="乙", invited_at=T0), T0)
    assert [i.unit_id for i in repo.invitations_for("li@example.com")] == ["U1", "U2"]
    assert repo.invitation("li@example.com", "U2") is not None
    assert repo.invitation("wang@example.com", "U2") is None


def test_a_secret_is_enrolled_once_and_each_step_used_once(mfa_repo):
    item = StaffMfa(user_sub="S1", sealed_secret="sealed-1", status="pending", created_at=T0)
    assert mfa_repo.start(item, T0)
    assert not mfa_repo.start(StaffMfa(user_sub="S1", sealed_secret="sealed-2", status="pending",
                                       created_at=T0), T0)
    pending = mfa_repo.get("S1")
    assert not mfa_repo.use_step(pending, 5)  # not enrolled: no code is good
    stale = StaffMfa(user_sub="S1", sealed_secret="other", status="pending", created_at=T0)
    assert not mfa_repo.enrol(stale, 10, T0)  # not the secret that was shown
    assert mfa_repo.enrol(pending, 10, T0)
    assert not mfa_repo.enrol(mfa_repo.get("S1"), 11, T0)  # enrolled once
    enrolled = mfa_repo.get("S1")
    assert enrolled.status == "enrolled" and enrolled.last_step == 10
    assert not mfa_repo.use_step(enrolled, 10)  # the enrolling code is not replayed
    assert mfa_repo.use_step(enrolled, 11)
    assert not mfa_repo.use_step(mfa_repo.get("S1"), 11)
    assert not mfa_repo.use_step(mfa_repo.get("S1"), 9)  # nor an older one

    assert mfa_repo.reset("S1", "admin", T0)  # a lost phone: forgotten, enrol again
    assert mfa_repo.get("S1") is None and not mfa_repo.reset("S1", "admin", T0)
    assert mfa_repo.start(StaffMfa(user_sub="S1", sealed_secret="sealed-3", status="pending",
                                   created_at=T0), T0)
