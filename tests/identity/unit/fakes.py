"""One world without AWS for the unit tests of identity, editions and registration: the
in-memory twins of their repositories (installed where the services look for them), a
fixed clock, and fakes of the identity provider, the outbox and billing's "free the
unpaid order". Nothing here starts moto."""
from __future__ import annotations

from tests.fakes import FakeOutbox  # noqa: F401 - used by the tests here

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.platform.clock import FixedClock, parse_instant
from chalicelib.platform.errors import ConflictError
from tests.editions.memory import InMemoryEditionRepository, InMemoryMemberRepository, install as install_editions
from tests.identity.memory import InMemoryAccountRepository, install as install_accounts
from tests.registration.memory import InMemoryRegistrationRepository, install as install_registrations

OPEN = parse_instant("2026-04-05T10:00:00+08:00")  # the registration window is open
PASSWORD = "Passw0rd!x"


class FakeIdentity:
    """The identity provider (Cognito) as the account service uses it."""

    def __init__(self) -> None:
        self.users: dict[str, str] = {}  # e-mail -> sub
        self.groups: dict[str, set[str]] = {}
        self.signed_out: list[str] = []
        self.disabled: set[str] = set()
        self._subs = itertools.count(1)

    def sign_up(self, email: str, password: str, attributes: dict[str, str]) -> str:
        if email in self.users:
            raise ConflictError("该邮箱已注册，请直接登录", code="EMAIL_TAKEN")
        self.users[email] = f"sub-{next(self._subs)}"
        return self.users[email]

    def add_to_group(self, email: str, group: str) -> None:
        self.groups.setdefault(email, set()).add(group)

    def delete_user(self, email: str) -> None:
        self.users.pop(email, None)

    def global_sign_out(self, email: str) -> None:
        self.signed_out.append(email)

    def disable_user(self, email: str) -> None:
        self.disabled.add(email)


@dataclass
class FakeBilling:
    """billing's `close_open_order_of` as registration calls it: frees the registration."""
    registrations: InMemoryRegistrationRepository
    closed: list[tuple[str, str]] = field(default_factory=list)  # (registration id, reason)

    def close_open_order_of(self, deps: Any, reg: Any, actor: str, now: datetime,
                            reason: str) -> bool:
        self.closed.append((reg.registration_id, reason))
        current = self.registrations.get(reg.registration_id)
        assert current is not None
        current.open_order_id = None
        self.registrations._store(current)
        return True


@dataclass
class World:
    deps: Any
    clock: FixedClock
    registrations: InMemoryRegistrationRepository
    accounts: InMemoryAccountRepository
    editions: InMemoryEditionRepository
    roster: InMemoryMemberRepository
    identity: FakeIdentity
    outbox: FakeOutbox
    billing: FakeBilling
    revoked: dict[str, bool] = field(default_factory=dict)

    def person(self, email: str = "li@example.com", phone: str | None = "13800138000",
               name: str = "李玥", kind: str = "personal", unit_name: str | None = None,
               credit_code: str | None = None) -> str:
        from chalicelib.identity import accounts
        return str(accounts.sign_up(self.deps, email=email, password=PASSWORD, name=name,
                                    phone=phone, kind=kind, unit_name=unit_name,
                                    credit_code=credit_code, now=self.clock.now())["user_id"])

    def member(self, member_no: str, approved_at: str | None = "2026-03-01T09:00:00+08:00",
               dues_year: int = 2026, **contact: str) -> None:
        from chalicelib.editions import members
        members.upsert_members([{"name": "李玥", "member_no": member_no, "dues_year": dues_year,
                                 "approved_at": approved_at, **contact}], "admin",
                               self.clock.now())


def build_world(monkeypatch: pytest.MonkeyPatch) -> World:
    from chalicelib.platform.deps import Deps
    from chalicelib.registration import jobs, service
    clock = FixedClock(OPEN)
    identity = FakeIdentity()
    # No real settings: nothing here may reach AWS (a call that tried would fail loudly).
    deps = Deps(settings=SimpleNamespace(is_dev=True), clock=clock, identity=identity,  # type: ignore[arg-type]
                mailer=None)
    editions, roster = install_editions(monkeypatch, clock.now())
    registrations = install_registrations(monkeypatch)
    world = World(deps=deps, clock=clock, registrations=registrations,
                  accounts=install_accounts(monkeypatch), editions=editions, roster=roster,
                  identity=identity, outbox=FakeOutbox(), billing=FakeBilling(registrations))
    monkeypatch.setattr(service, "mail", world.outbox)
    monkeypatch.setattr(jobs, "mail", world.outbox)
    monkeypatch.setattr(service, "close_open_order_of", world.billing.close_open_order_of)
    from chalicelib.platform import sessions
    revoked: dict[str, bool] = {}  # the session cut-offs, in memory (sessions.py keeps them in kv)
    monkeypatch.setattr(sessions, "revoke", lambda sub, closed=False: revoked.__setitem__(sub, closed))
    world.revoked = revoked
    return world
