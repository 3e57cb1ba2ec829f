"""What other features may read of billing: small named read-only functions (invoicing,
reports, identity's privacy export). They never write and never hand out a query to build
on; billing's repository stays private to billing."""
from __future__ import annotations

from datetime import datetime

from chalicelib.billing.repository import BillingRepository, Order, Payment, Refund, disposition_key
from chalicelib.platform.store.base import decode_token, encode_token

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


def page_orders(edition_id: str, status: str, channel: str, limit: int, token: str | None
                ) -> tuple[list[Order], str | None]:
    """One page of the edition's orders in `status` on `channel`, oldest first, and the
    next page's token (None: no more). Exports page through these."""
    items, next_token = _repo.page_orders(edition_id, status, channel, limit, token)
    return list(items), next_token


def page_refunds(edition_id: str, status: str, limit: int, token: str | None
                 ) -> tuple[list[Refund], str | None]:
    """One page of the edition's refunds in `status`, oldest request first; next token."""
    items, next_token = _repo.page_refunds(edition_id, status, limit, token)
    return list(items), next_token


def page_payments(edition_id: str, disposition: str, limit: int, token: str | None
                  ) -> tuple[list[Payment], str | None]:
    """One page of the edition's payments of `disposition` (credited, duplicate, ...),
    oldest first; the next page's token. Read-only (exports)."""
    result = Payment.by_edition_disposition.query(
        disposition_key(edition_id, disposition), limit=limit,
        last_evaluated_key=decode_token(token))
    items = list(result)
    return items, encode_token(result.last_evaluated_key)


def get_orders(order_ids: list[str]) -> dict[str, Order]:
    """Several orders at once, by id (unknown ids left out; eventually consistent)."""
    if not order_ids:
        return {}
    return {o.order_id: o for o in Order.batch_get(sorted(set(order_ids)))}
