"""The account repository's in-memory twin: the same methods, dicts inside (see
tests/registration/memory.py for the pattern); tests/identity/test_repository_contract.py
holds both to the same behaviour."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.identity.repository import Account


class InMemoryAccountRepository:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.audit: list[tuple[str, str, str, dict[str, Any] | None]] = []

    def get(self, user_sub: str, consistent_read: bool = False) -> Account | None:
        item = self.items.get(user_sub)
        return Account.from_raw_data(item) if item is not None else None

    def find_by_email(self, email: str) -> Account | None:
        return next((Account.from_raw_data(i) for i in self.items.values()
                     if i.get("email", {}).get("S") == email), None)

    def with_verified_phone(self, phone_norm: str) -> list[Account]:
        return [a for a in (Account.from_raw_data(i) for i in self.items.values())
                if a.phone_norm == phone_norm and a.phone_verified_norm == phone_norm]

    def mark_email_verified(self, account: Account, now: datetime) -> None:
        current = self.get(account.user_sub)
        assert current is not None and current.email == account.email
        current.email_verified = True
        self.items[account.user_sub] = current.serialize()
        self.audit.append((f"account#{account.user_sub}", "account.email_verified",
                           account.user_sub, None))

    def mark_phone_verified(self, account: Account, phone_norm: str, now: datetime) -> bool:
        current = self.get(account.user_sub)
        if current is None or current.phone_norm != phone_norm:
            return False
        current.phone_verified_norm, current.phone_verified_at = phone_norm, now
        self.items[account.user_sub] = current.serialize()
        self.audit.append((f"account#{account.user_sub}", "account.phone_verified",
                           account.user_sub, None))
        return True

    def disable(self, account: Account, actor: str, now: datetime) -> None:
        current = self.get(account.user_sub)
        assert current is not None
        current.disabled_at = now
        self.items[account.user_sub] = current.serialize()
        self.audit.append((f"account#{account.user_sub}", "account.disabled", actor, None))

    def create(self, account: Account, now: datetime) -> None:
        if account.user_sub in self.items:
            raise ValueError(f"account {account.user_sub} exists")  # the real one's transaction fails
        self.items[account.user_sub] = account.serialize()
        self.audit.append((f"account#{account.user_sub}", "account.created", account.user_sub,
                           {"kind": account.kind}))

    def erase(self, account: Account, name: str, email: str, actor: str, now: datetime,
              data: dict[str, Any]) -> bool:
        current = self.get(account.user_sub)
        if current is None or current.email != account.email:
            return False
        current.name, current.email, current.phone, current.phone_norm = name, email, None, None
        current.phone_verified_norm = current.email_verified = None
        self.items[account.user_sub] = current.serialize()
        self.audit.append((f"account#{account.user_sub}", "account.erased", actor, data))
        return True


def install(monkeypatch: Any) -> InMemoryAccountRepository:
    """Put the twin where the account service (and privacy, through it) looks for their repository."""
    from chalicelib.identity import accounts
    repo = InMemoryAccountRepository()
    monkeypatch.setattr(accounts, "repo", repo)
    return repo
