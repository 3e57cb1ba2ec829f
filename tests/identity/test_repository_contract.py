"""The account repository's in-memory twin answers as DynamoDB (moto) does."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.identity.repository import Account, AccountRepository
from tests.fakes import twin_and_real
from tests.identity.memory import InMemoryAccountRepository

T0 = datetime(2026, 4, 5, 2, 0, tzinfo=UTC)


repo = twin_and_real(InMemoryAccountRepository, AccountRepository)


def account(sub: str = "u1") -> Account:
    return Account(user_sub=sub, email="li@example.com", name="李玥", phone="13800138000",
                   phone_norm="13800138000", kind="personal", created_at=T0)


def test_create_get_and_a_second_create_fails(repo):
    repo.create(account(), T0)
    assert repo.get("u1", consistent_read=True).email == "li@example.com"
    assert repo.get("u2") is None
    with pytest.raises(Exception):  # noqa: B017 - either store refuses; the service undoes the sign-up
        repo.create(account(), T0)


def test_erasure_happens_once(repo):
    repo.create(account(), T0)
    read = repo.get("u1", consistent_read=True)
    assert repo.erase(read, "已注销用户", "erased-u1@erased.invalid", "u1", T0, {"registrations": 0})
    assert not repo.erase(read, "已注销用户", "erased-u1@erased.invalid", "u1", T0, {})  # read before the first
    now = repo.get("u1", consistent_read=True)
    assert (now.name, now.email, now.phone, now.phone_norm) == (
        "已注销用户", "erased-u1@erased.invalid", None, None)


def test_a_phone_is_verified_only_while_the_account_has_it(repo):
    repo.create(account(), T0)
    read = repo.get("u1", consistent_read=True)
    assert not repo.mark_phone_verified(read, "13900000000", T0)  # not the account's phone
    assert repo.mark_phone_verified(read, "13800138000", T0)
    now = repo.get("u1", consistent_read=True)
    assert now.phone_verified_norm == "13800138000"
    assert [a.user_sub for a in repo.with_verified_phone("13800138000")] == ["u1"]
    assert repo.with_verified_phone("13900000000") == []


def test_email_lookup_verification_and_disabling(repo):
    repo.create(account(), T0)
    assert repo.find_by_email("li@example.com").user_sub == "u1"
    assert repo.find_by_email("nobody@example.com") is None
    read = repo.get("u1", consistent_read=True)
    assert not read.email_verified
    repo.mark_email_verified(read, T0)
    repo.disable(repo.get("u1", consistent_read=True), "admin", T0)
    now = repo.get("u1", consistent_read=True)
    assert now.email_verified is True and now.disabled_at == T0


def test_erasure_forgets_the_verified_contacts(repo):
    repo.create(account(), T0)
    repo.mark_phone_verified(repo.get("u1", consistent_read=True), "13800138000", T0)
    read = repo.get("u1", consistent_read=True)
    assert repo.erase(read, "已注销用户", "erased-u1@erased.invalid", "u1", T0, {})
    now = repo.get("u1", consistent_read=True)
    assert (now.phone_verified_norm, now.email_verified) == (None, None)
