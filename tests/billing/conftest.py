"""Fixtures for the payments tests: sandbox key documents generated once per session (real
RSA pairs), installed into the app's Deps, and helpers that make approved registrations."""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime
from typing import Any

import pytest

_seq = itertools.count(1)


@pytest.fixture(scope="session")
def keys() -> dict[str, Any]:
    """Sandbox keys, and the test stage's simulated providers that sign with them."""
    from chalicelib.dev import install
    from chalicelib.dev.sandbox_keys import make_sandbox_keys
    install()
    return make_sandbox_keys()


@pytest.fixture(scope="session")
def foreign_keys() -> dict[str, Any]:
    """Another set of keys: what a forger would sign with."""
    from chalicelib.dev.sandbox_keys import make_sandbox_keys
    return make_sandbox_keys()


@pytest.fixture
def pdeps(deps: Any, clock: Any, keys: dict[str, Any]) -> Any:
    deps.extras["keys:alipay"] = keys["alipay"]
    deps.extras["keys:wechatpay"] = keys["wechatpay"]
    return deps


def make_account(kind: str = "personal", name: str = "李玥", unit_name: str | None = None,
                 credit_code: str | None = None) -> Any:
    from chalicelib.platform.clock import system_now
    from chalicelib.identity.repository import Account
    sub = f"sub-{uuid.uuid4().hex[:12]}"
    email = f"{kind}-{next(_seq)}-{uuid.uuid4().hex[:6]}@example.com"
    acc = Account(user_sub=sub, email=email, name=name, phone="13800138000",
                  phone_norm="13800138000", kind=kind, unit_name=unit_name,
                  credit_code=credit_code, created_at=system_now())
    acc.save()
    return acc


def approved_registration(deps: Any, now: datetime, name: str = "李玥",
                          unit_name: str = "国家图书馆", approve: bool = True) -> Any:
    """A trainee account with a registration (approved unless told otherwise)."""
    from chalicelib.registration import service as registrations
    acc = make_account(name=name)
    reg = registrations.create_registration(deps, acc.user_sub, {
        "unit_name": unit_name, "job_title": "馆员", "region": "北京"}, now)
    if approve:
        registrations.approve(deps, reg["registration_id"], "reviewer", now)
    return acc, reg["registration_id"]


def get_reg(registration_id: str) -> Any:
    from chalicelib.registration.repository import Registration
    return Registration.get(registration_id, consistent_read=True)


def get_order(order_id: str) -> Any:
    from chalicelib.billing.repository import Order
    return Order.get(order_id, consistent_read=True)


def payments_of(order_id: str) -> list[Any]:
    from chalicelib.billing.repository import Payment
    return list(Payment.by_order.query(order_id))


def alipay_body(keys: dict[str, Any], order: dict[str, Any] | Any, now: datetime,
                txn: str = "2026000000000000000000000001", **kw: Any) -> bytes:
    from chalicelib.dev.sandbox import alipay_notification, alipay_passback_of
    order_id = order["order_id"] if isinstance(order, dict) else order
    amount = kw.pop("amount_fen", None) or (order["amount_fen"] if isinstance(order, dict) else 40000)
    if "passback_params" not in kw and isinstance(order, dict):
        # as Alipay does: the pay request's passback_params comes back unchanged
        kw["passback_params"] = alipay_passback_of(order.get("pay_url"))
    return alipay_notification(keys["alipay"], order_id, amount, txn, now, **kw)
