"""What other features may read of billing: small named read-only functions (invoicing,
reports, identity's privacy export). They never write and never hand out a query to build
on; billing's repository stays private to billing."""
from __future__ import annotations

from datetime import datetime

from chalicelib.billing.repository import BillingRepository, Order, Refund

_repo = BillingRepository()


def get_order(order_id: str) -> Order | None:
    """The order, or None (read consistently)."""
    return _repo.get_order(order_id)


def refunds_of_order(order_id: str) -> list[Refund]:
    """Every refund recorded against the order (any status)."""
    return _repo.refunds_of_order(order_id)


def orders_of_owner(owner_sub: str) -> list[Order]:
    """The orders an account placed (a trainee's own, a unit's group orders), newest first."""
    return _repo.orders_of_owner(owner_sub)


def orders_in_queue(edition_id: str, status: str, channel: str) -> list[Order]:
    """Every order of the edition in `status` on `channel` (e.g. paid alipay orders)."""
    return _repo.orders_in_queue(edition_id, status, channel)


def paid_orders_between(edition_id: str, channel: str, lo: datetime, hi: datetime,
                        limit: int, token: str | None) -> tuple[list[Order], str | None]:
    """One page of the edition's paid orders on `channel` whose payment time is within
    [lo, hi]; the token of the next page, or None when there is no more."""
    return _repo.paid_orders_between(edition_id, channel, lo, hi, limit, token)
