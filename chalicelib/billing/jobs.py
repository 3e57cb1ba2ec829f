"""Payment-side steps of the scheduled jobs (the jobs framework calls them when due).

Each step: `step(deps, edition, now, cursor, budget_s) -> (counts, next_cursor | None)`.
Idempotent (a second run changes nothing: every change is a conditional write or a guarded
insert), resumable (the cursor names the phase and the page token; a step stops when its
time budget is nearly spent: platform.paging.walk_pages), and it reads only through keys
and GSIs (no Scan)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from chalicelib.billing.closing import close_fully, release_from_group
from chalicelib.billing.refunds import execute_refund
from chalicelib.billing.repository import Order, Refund, repository
from chalicelib.billing.states import ONLINE, UNPAID_STATES, Channel, OrderKind, OrderStatus, RefundStatus
from chalicelib.editions.edition import Edition
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.money import yuan
from chalicelib.platform.paging import Page, walk_pages
from chalicelib.registration.states import RegistrationStatus

PAGE = 50
CHANNELS = (Channel.ALIPAY.value, Channel.WECHATPAY.value, Channel.BANK_TRANSFER.value)
Phase = Callable[[str | None], Page]

mail.register_template(
    "transfer.overdue", "【银行转账待审核超期】订单 {order_id}",
    "银行转账订单 {order_id}（{payer_name}，{unit_name}，{amount_yuan} 元，附言“{memo}”）"
    "应于 {review_due_at} 前审核，目前仍未确认到账。\n请核对银行流水后在平台确认，或联系交费人。")


def _retry_online(deps: Deps, refund: Refund, now: datetime) -> bool:
    """An online refund still `requested` (its provider call failed): ask again."""
    return refund.channel in ONLINE and execute_refund(deps, refund, now) != RefundStatus.REQUESTED.value


def _requested_refunds(deps: Deps, edition: Edition) -> Phase:
    store = repository(deps)
    return lambda token: store.page_refunds(edition.edition_id, RefundStatus.REQUESTED, PAGE, token)


def lock_refunds_and_refund_unapproved(deps: Deps, edition: Edition, now: datetime,
                                       cursor: Any, budget_s: float
                                       ) -> tuple[dict[str, int], dict[str, Any] | None]:
    """At course start (refund window close): refund requests are refused from now on by
    the request-time check; here no registration that is not approved may keep an unpaid
    order's seat or money: every open (or reserving) order is looked at with its
    registrations and the seats of those not approved are given up, and the refunds still
    waiting for a provider call (money to send back, e.g. received for a registration that
    was not approved) are asked for again.

    It reads billing's own queues, not the registrations: the open orders (`by_queue`
    `<edition>#open#<channel>`, `<edition>#reserving#bank_transfer`) and the refunds still
    `requested` (`<edition>#requested`). A registration that is not approved holds money
    only if it was changed outside its transitions: a credit needs it approved (the
    transaction's condition) and it cannot leave `approved` while paid or held by an order
    (withdrawal needs it unpaid and held by none, rejection needs it pending); money that
    arrives for one that is not approved is recorded with its refund at once
    (docs/payments.md "Job steps")."""
    actor = "system:lock_refunds"

    def handle(item: Any) -> bool:
        if isinstance(item, Refund):
            return _retry_online(deps, item, now)
        return _give_up_unapproved_seats(deps, item, actor, now)

    phases = [*_unpaid_orders(deps, edition), _requested_refunds(deps, edition)]
    # A cursor an older release wrote walked other queries: start over (nothing is done twice)
    mine = cursor if isinstance(cursor, dict) and cursor.get("walk") == LOCK_WALK else None
    counts, nxt = walk_pages(phases, handle, mine, budget_s)
    return counts, None if nxt is None else {**nxt, "walk": LOCK_WALK}


LOCK_WALK = "orders+refunds"


def _unpaid_orders(deps: Deps, edition: Edition) -> list[Phase]:
    """The edition's open and reserving orders (only a bank-transfer group is ever
    `reserving`), one queue of `by_queue` each."""
    store = repository(deps)

    def orders_in(status: OrderStatus, channel: str) -> Phase:
        return lambda token: store.page_orders(edition.edition_id, status, channel, PAGE, token)
    return [orders_in(status, channel) for channel in CHANNELS
            for status in (OrderStatus.OPEN, OrderStatus.RESERVING)
            if status == OrderStatus.OPEN or channel == Channel.BANK_TRANSFER.value]


def _give_up_unapproved_seats(deps: Deps, order: Order, actor: str, now: datetime) -> bool:
    """An unpaid order gives up the registrations that are not approved (any more): an
    individual order (or a group left with none) is closed, a group releases those seats."""
    store = repository(deps)
    if order.status not in UNPAID_STATES:
        return False
    members = store.registrations(order.registration_ids)
    unusable = [r for r in members if r.status != RegistrationStatus.APPROVED.value]
    if not unusable:
        return False
    if order.kind == OrderKind.INDIVIDUAL.value or len(unusable) == len(members):
        return close_fully(deps, order, actor, now, "registration_not_approved")
    changed = False
    for reg in unusable:
        current = store.get_order(order.order_id)
        if current is not None and release_from_group(deps, current, reg.registration_id,
                                                      actor, now):
            changed = True
    return changed


def close_unusable_orders(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                          budget_s: float) -> tuple[dict[str, int], dict[str, Any] | None]:
    """Close unpaid orders that can no longer be used: after the payment window (end of
    learning) every open order; before it, orders (or group seats) of registrations that
    are not approved. Their registrations are freed."""
    actor = "system:close_unusable_orders"
    window_over = not edition.window("payment").is_open(now)

    def handle(order: Order) -> bool:
        if order.status not in UNPAID_STATES:
            return False
        if window_over:
            return close_fully(deps, order, actor, now, "payment_window_closed")
        return _give_up_unapproved_seats(deps, order, actor, now)

    return walk_pages(_unpaid_orders(deps, edition), handle, cursor, budget_s)


def remind_overdue_transfers(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                             budget_s: float) -> tuple[dict[str, int], dict[str, Any] | None]:
    """Daily: mail finance about each open bank transfer (individual or group) past its
    5-working-day review date, once per order."""
    store = repository(deps)

    def handle(order: Order) -> bool:
        if not store.mark_overdue_reminded(order, now):
            return False
        mail.queue_mail(deps, f"transfer.overdue#{order.order_id}", edition.finance_email,
                        "transfer.overdue", {
                            "order_id": order.order_id, "payer_name": order.payer_name,
                            "unit_name": order.unit_name, "amount_yuan": yuan(int(order.amount_fen)),
                            "memo": order.memo or "", "review_due_at": iso(order.review_due_at)},
                        now)
        return True

    def overdue(token: str | None) -> Page:
        return store.page_overdue_transfers(edition.edition_id, Channel.BANK_TRANSFER.value, now,
                                            PAGE, token, unreminded=True)
    return walk_pages([overdue], handle, cursor, budget_s)


def retry_stuck_refunds(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                        budget_s: float) -> tuple[dict[str, int], dict[str, Any] | None]:
    """Any time (e.g. every 15 minutes): online refunds still `requested` because the
    provider could not be reached are asked for again (the provider dedups on our refund
    id, `out_request_no` / `out_refund_no`). Bank-transfer refunds wait for finance."""
    return walk_pages([_requested_refunds(deps, edition)], lambda r: _retry_online(deps, r, now),
                      cursor, budget_s)
