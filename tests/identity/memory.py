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
        self.items[account.user_sub] = current.serialize()
        self.audit.append((f"account#{account.user_sub}", "account.erased", actor, data))
        return True


def install(monkeypatch: Any) -> InMemoryAccountRepository:
    """Put the twin where the account service (and privacy, through it) looks for their repository."""
    from chalicelib.identity import accounts
    repo = InMemoryAccountRepository()
    monkeypatch.setattr(accounts, "repo", repo)
    return repo
