"""Giving up unpaid orders: closing an order and freeing the registrations it holds, or
taking one member out of a group order. Shared by orders (switch channel, cancel),
group orders (release, a failed reservation), the jobs (orders that can no longer be
used) and registration (a rejected or withdrawn registration gives up its seat)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.billing import rules
from chalicelib.billing.providers import ProviderError, provider
from chalicelib.billing.repository import Order, repository
from chalicelib.billing.states import ONLINE, UNPAID_STATES, OrderKind, OrderStatus
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import RetryLaterError
from chalicelib.platform.observability import logger


def close_at_provider(deps: Deps, order: Order, now: datetime) -> None:
    """After our order closed: ask the provider to close its trade too, so the old page or
    QR code cannot take money (best effort; money that still arrives is handled anyway)."""
    if order.channel not in ONLINE:
        return
    try:
        provider(deps, order.channel).close(order.order_id, now)
    except (ProviderError, RetryLaterError, ValueError, KeyError) as exc:
        logger.warning("provider close failed", extra={"order_id": order.order_id, "error": str(exc)})


def close_fully(deps: Deps, order: Order, actor: str, now: datetime, reason: str) -> bool:
    """Close an unpaid order and free every registration it holds. An individual order does
    both in one transaction; a group (maybe larger than one transaction) is closed first and
    its members freed one conditional write each, so a repeat finishes the job."""
    store = repository(deps)
    ids = list(order.registration_ids)
    if order.kind == OrderKind.INDIVIDUAL.value and order.status == OrderStatus.OPEN.value and \
            store.close_order(order, actor, now, reason, ids):
        close_at_provider(deps, order, now)
        return True
    closed = order.status in UNPAID_STATES and store.close_order(order, actor, now, reason, [])
    current = store.get_order(order.order_id)
    if current is not None and current.status == OrderStatus.CLOSED.value:
        store.release_registrations(current, ids)
    if closed:
        close_at_provider(deps, order, now)
    return closed


def release_from_group(deps: Deps, order: Order, registration_id: str, actor: str,
                       now: datetime) -> bool:
    """Take one member out of an unpaid group order; the amount drops by their fee (the
    last member closes the order)."""
    store = repository(deps)
    reg = store.registration(registration_id)
    if reg is None or registration_id not in order.registration_ids:
        return False
    if len(order.registration_ids) == 1:
        return close_fully(deps, order, actor, now, "last_member_released")
    return store.release_member(order, registration_id, rules.amount_without(order, reg.fee_fen),
                                actor, now)


def close_open_order_of(deps: Deps, reg: Any, actor: str, now: datetime, reason: str) -> bool:
    """Free `reg` from the unpaid order holding it: an individual order is closed; a group
    order only releases this member (the unit's other staff stay reserved)."""
    if not reg.open_order_id:
        return True
    order = repository(deps).get_order(reg.open_order_id)
    if order is None or order.status != OrderStatus.OPEN.value:
        return False
    if order.kind == OrderKind.GROUP.value and len(order.registration_ids) > 1:
        return release_from_group(deps, order, reg.registration_id, actor, now)
    return close_fully(deps, order, actor, now, reason)
