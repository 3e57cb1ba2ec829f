"""Billing's services without AWS: the in-memory twin of the billing repository (which also
holds the registrations billing reads and moves), the 2026 edition from its seed file, a
fake provider per online channel, a fake outbox and accounts. Nothing here starts moto."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.billing.providers import Notification, PayRequest, ProviderError, RefundRequest, RefundResult
from chalicelib.platform.clock import FixedClock, parse_instant
from chalicelib.platform.deps import Deps
from chalicelib.platform.settings import Settings
from chalicelib.registration.repository import Registration
from tests.billing.memory import InMemoryBillingRepository

NOW = parse_instant("2026-04-05T10:00:00+08:00")  # registration and payment open
COURSE_START = parse_instant("2026-04-13T00:00:00+08:00")  # the refund window's end
_ids = itertools.count(1)


class FakeProvider:
    """Answers like the channel: Alipay refunds at once, WeChat Pay accepts (processing)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.refunds: list[RefundRequest] = []
        self.closed: list[str] = []
        self.down = False

    def pay_link(self, req: PayRequest, now: datetime) -> dict[str, str]:
        key = "pay_url" if self.name == "alipay" else "code_url"
        return {key: f"https://pay.example/{req.order_id}"}

    def parse_notification(self, body: bytes, headers: dict[str, str], now: datetime) -> Notification:
        raise AssertionError("the unit tests call the payment core directly")

    def refund(self, req: RefundRequest, now: datetime) -> RefundResult:
        if self.down:
            raise ProviderError("timeout")
        self.refunds.append(req)
        status = "done" if self.name == "alipay" else "processing"
        return RefundResult(status=status, provider_refund_id=f"PR{req.refund_id}")

    def close(self, order_id: str, now: datetime) -> bool:
        self.closed.append(order_id)
        return True


@dataclass
class Account:
    user_sub: str
    email: str
    name: str
    kind: str = "personal"
    unit_name: str | None = None


@dataclass
class World:
    deps: Deps
    repo: InMemoryBillingRepository
    edition: Any
    providers: dict[str, FakeProvider]
    accounts: dict[str, Account] = field(default_factory=dict)
    verified: set[str] = field(default_factory=set)  # unit accounts staff approved
    mail: list[tuple[str, str, str]] = field(default_factory=list)  # (mail id, to, template)

    def registration(self, *, status: str = "approved", unit: str = "国家图书馆",
                     name: str = "李玥", fee_fen: int = 49000, linked_to: Account | None = None,
                     **extra: Any) -> Registration:
        """A registration of a new trainee (approved and unpaid unless told otherwise),
        linked to the unit account `linked_to` when given (the trainee's choice)."""
        n = next(_ids)
        if linked_to is not None:
            extra.update(unit_id=linked_to.user_sub,
                         edition_linked_unit=f"2026#{linked_to.user_sub}")
        sub, email = f"sub-{n}", f"t{n}@example.com"
        self.accounts[sub] = Account(sub, email, name)
        reg = Registration(
            registration_id=f"R{n:05d}", edition_id="2026", user_sub=sub, name=name,
            unit_name=unit, job_title="馆员", region="北京", phone="13800138000", email=email,
            status=status, payment_status="unpaid", tier="non_member", fee_fen=fee_fen,
            submitted_at=NOW + timedelta(seconds=n), edition_status=f"2026#{status}",
            edition_unit=f"2026#{unit}", edition_email=f"2026#{email}", **extra)
        self.repo.add_registration(reg)
        return reg

    def unit(self, unit_name: str = "国家图书馆", verified: bool = True) -> Account:
        n = next(_ids)
        account = Account(f"unit-{n}", f"unit{n}@example.com", unit_name, "unit", unit_name)
        self.accounts[account.user_sub] = account
        if verified:
            self.verified.add(account.user_sub)
        return account

    def reg(self, registration_id: str) -> Registration:
        found = self.repo.registration(registration_id)
        assert found is not None
        return found

    def templates(self, to: str | None = None) -> list[str]:
        return [t for _, addr, t in self.mail if to is None or addr == to]


def _settings() -> Settings:
    return Settings(stage="test", region="ap-southeast-1", endpoint_url="http://unused",
                    table_prefix="u-", bucket_prefix="u-", user_pool_name="p", user_pool_id=None,
                    user_pool_client_id=None, mail_sender="noreply@example.org",
                    public_base_url="http://127.0.0.1:8000", log_level="INFO",
                    payment_secrets_prefix="/u/", dev_keys_dir="/nonexistent")


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    from chalicelib.billing import group_orders, payments, refunds
    from chalicelib.editions import service as editions
    from chalicelib.platform.errors import NotFoundError
    from chalicelib.platform.mail import outbox

    repo = InMemoryBillingRepository()
    edition = editions.load_seed("2026")
    providers = {c: FakeProvider(c) for c in ("alipay", "wechatpay")}
    deps = Deps(settings=_settings(), clock=FixedClock(NOW), identity=None, mailer=None,
                extras={"billing:repository": repo, "provider:alipay": providers["alipay"],
                        "provider:wechatpay": providers["wechatpay"]})
    w = World(deps=deps, repo=repo, edition=edition, providers=providers)

    def queue_mail(deps: Any, mail_id: str, to: str, template: str, params: dict[str, Any],
                   now: datetime, required: bool = False) -> bool:
        outbox.render(template, params)  # the real template takes these parameters
        if any(m == mail_id for m, _, _ in w.mail):
            return False
        w.mail.append((mail_id, to, template))
        return True

    def get_account(sub: str) -> Account:
        if sub not in w.accounts:
            raise NotFoundError("账号不存在", code="ACCOUNT_NOT_FOUND")
        return w.accounts[sub]

    monkeypatch.setattr(editions, "get_edition", lambda deps, edition_id: edition)
    monkeypatch.setattr(editions, "get_current", lambda deps: edition)
    def send_recorded(deps: Any, mail: Any, now: datetime) -> bool:
        # a mail the crediting transaction recorded (the twin keeps it in repo.mails)
        assert mail.mail_id in repo.mails, mail.mail_id
        w.mail.append((mail.mail_id, mail.to_addr, mail.template))
        return True

    monkeypatch.setattr(outbox, "queue_mail", queue_mail)
    monkeypatch.setattr(outbox, "send_recorded", send_recorded)
    monkeypatch.setattr(payments, "get_account", get_account)
    monkeypatch.setattr(group_orders, "get_account", get_account)

    def require_verified(sub: str, now: datetime) -> Any:
        from chalicelib.identity.unit_errors import UnitNotVerifiedError
        if sub not in w.verified:
            raise UnitNotVerifiedError()
        return w.accounts[sub]

    monkeypatch.setattr(group_orders, "require_verified", require_verified)
    monkeypatch.setattr(refunds.invoices, "reverse_for_refund", lambda *a, **k: None)
    return w
