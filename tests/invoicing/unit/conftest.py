"""The invoicing service without AWS: the in-memory invoice repository, and fakes of what
it reads from other features (billing's orders and refunds, accounts, the edition) and of
the outbox, the bucket and the issuer. Nothing here starts moto."""
from __future__ import annotations

from tests.fakes import FakeOutbox  # noqa: F401 - used by the tests here

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Iterator

import pytest

from chalicelib.platform.clock import parse_instant
from tests.invoicing.factories import FastIssuer
from tests.invoicing.memory import InMemoryInvoiceRepository

PAID = parse_instant("2026-04-05T10:00:00+08:00")  # window closes 2026-05-06 00:00


@dataclass
class FakeOrder:
    order_id: str
    owner_sub: str
    kind: str = "individual"
    status: str = "paid"
    paid_at: datetime | None = PAID
    payer_name: str = "张三"
    amount_fen: int = 49000
    registration_ids: list[str] = field(default_factory=lambda: ["R1"])
    payment_id: str | None = "P1"
    official_card: bool = False
    channel: str = "alipay"
    edition_id: str = "2026"


@dataclass
class FakeRefund:
    registration_id: str | None
    amount_fen: int
    status: str = "done"
    payment_id: str | None = "P1"


class FakeBilling:
    """billing.queries as invoicing reads it."""

    def __init__(self) -> None:
        self.orders: dict[str, FakeOrder] = {}
        self.refunds: dict[str, list[FakeRefund]] = {}

    def add(self, order: FakeOrder, *refunds: FakeRefund) -> FakeOrder:
        self.orders[order.order_id] = order
        self.refunds[order.order_id] = list(refunds)
        return order

    def get_order(self, order_id: str) -> FakeOrder | None:
        return self.orders.get(order_id)

    def refunds_of_order(self, order_id: str) -> list[FakeRefund]:
        return list(self.refunds.get(order_id, []))

    def paid_orders_between(self, edition_id: str, channel: str, lo: datetime, hi: datetime,
                            limit: int, token: str | None) -> tuple[list[FakeOrder], str | None]:
        chosen = [o for o in self.orders.values()
                  if o.edition_id == edition_id and o.channel == channel and o.status == "paid"
                  and o.paid_at is not None and lo <= o.paid_at <= hi]
        start = int(token or 0)
        return chosen[start:start + limit], (str(start + limit) if start + limit < len(chosen) else None)


class FakeAccounts:
    def __init__(self) -> None:
        self.accounts: dict[str, Any] = {}

    def add(self, sub: str, email: str | None = None, credit_code: str | None = None) -> str:
        self.accounts[sub] = SimpleNamespace(user_sub=sub, email=email or f"{sub}@example.com",
                                             credit_code=credit_code)
        return sub

    def get_account(self, sub: str) -> Any:
        from chalicelib.platform.errors import NotFoundError
        if sub not in self.accounts:
            raise NotFoundError("账号不存在", code="ACCOUNT_NOT_FOUND")
        return self.accounts[sub]


class FakeEditions:
    def __init__(self) -> None:
        from chalicelib.editions.service import load_seed
        self.edition = load_seed("2026")

    def get_edition(self, deps: Any, edition_id: str) -> Any:
        assert edition_id == self.edition.edition_id
        return self.edition

    def current_edition_id(self, deps: Any) -> str:
        return str(self.edition.edition_id)


class FakeStorage:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def put_object(self, base: str, key: str, data: bytes, content_type: str,
                   metadata: dict[str, str] | None = None) -> None:
        self.objects[(base, key)] = data

    def presigned_get(self, base: str, key: str, expires_s: int, now: datetime,
                      **kw: Any) -> dict[str, Any]:
        assert (base, key) in self.objects
        return {"url": f"https://s3.example/{base}/{key}", "expires_at": now + timedelta(seconds=expires_s)}


@dataclass
class World:
    deps: Any
    repo: InMemoryInvoiceRepository
    billing: FakeBilling
    accounts: FakeAccounts
    editions: FakeEditions
    outbox: FakeOutbox
    storage: FakeStorage
    issuer: FastIssuer


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    from chalicelib.invoicing import jobs, service
    from chalicelib.platform.clock import FixedClock
    from chalicelib.platform.deps import Deps
    # No settings: nothing here reaches AWS (the bucket and the issuer are fakes).
    w = World(deps=Deps(settings=SimpleNamespace(), clock=FixedClock(PAID), identity=None, mailer=None),  # type: ignore[arg-type]
              repo=InMemoryInvoiceRepository(), billing=FakeBilling(), accounts=FakeAccounts(),
              editions=FakeEditions(), outbox=FakeOutbox(), storage=FakeStorage(),
              issuer=FastIssuer())
    w.deps.extras["invoice_issuer"] = w.issuer
    w.deps.extras["storage"] = w.storage
    monkeypatch.setattr(service, "repo", w.repo)
    monkeypatch.setattr(service, "billing", w.billing)
    monkeypatch.setattr(jobs, "billing", w.billing)
    monkeypatch.setattr(service, "get_account", w.accounts.get_account)
    monkeypatch.setattr(service, "editions", w.editions)
    monkeypatch.setattr(service, "mail", w.outbox)
    yield w
