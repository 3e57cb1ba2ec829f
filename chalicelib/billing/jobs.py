"""Payment-side steps of the scheduled jobs (the jobs framework calls them when due).

Each step: `step(deps, edition, now, cursor, budget_s) -> (counts, next_cursor | None)`.
Idempotent (a second run changes nothing: every change is a conditional write or a guarded
insert), resumable (the cursor names the phase and the page token; a step stops when its
time budget is nearly spent: platform.paging.walk_pages), and it reads only through keys
and GSIs (no Scan)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from chalicelib.billing.closing import close_fully, close_open_order_of, release_from_group
from chalicelib.billing.refunds import execute_refund, refund_credited_payment
from chalicelib.billing.repository import Order, Refund, repository
from chalicelib.billing.states import ONLINE, UNPAID_STATES, Channel, OrderKind, OrderStatus, RefundKind, RefundStatus
from chalicelib.editions.edition import Edition
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.money import yuan
from chalicelib.platform.paging import Page, walk_pages
from chalicelib.registration.states import PaymentStatus, RegistrationStatus

PAGE = 50
NOT_APPROVED = (RegistrationStatus.REJECTED.value, RegistrationStatus.WITHDRAWN.value,
                RegistrationStatus.PENDING.value)
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
    the request-time check; here every registration that is not approved (rejected,
    withdrawn, still pending) has its open order closed and any money it holds refunded
    automatically by its route; online refunds still waiting for a provider call are
    retried."""
    store = repository(deps)
    actor = "system:lock_refunds"

    def handle(item: Any) -> bool:
        if isinstance(item, Refund):
            return _retry_online(deps, item, now)
        changed = False
        if item.open_order_id:
            changed = close_open_order_of(deps, item, actor, now, "registration_not_approved")
        if item.payment_status == PaymentStatus.PAID.value:
            changed = refund_credited_payment(deps, item, RefundKind.UNAPPROVED.value, actor,
                                              now) is not None or changed
        return changed

    def registrations_in(status: str) -> Phase:
        return lambda token: store.page_registrations(edition.edition_id, status, PAGE, token)

    phases = [*(registrations_in(s) for s in NOT_APPROVED), _requested_refunds(deps, edition)]
    return walk_pages(phases, handle, cursor, budget_s)


def close_unusable_orders(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                          budget_s: float) -> tuple[dict[str, int], dict[str, Any] | None]:
    """Close unpaid orders that can no longer be used: after the payment window (end of
    learning) every open order; before it, orders (or group seats) of registrations that
    are not approved. Their registrations are freed."""
    store = repository(deps)
    actor = "system:close_unusable_orders"
    window_over = not edition.window("payment").is_open(now)

    def handle(order: Order) -> bool:
        if order.status not in UNPAID_STATES:
            return False
        if window_over:
            return close_fully(deps, order, actor, now, "payment_window_closed")
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

    def orders_in(status: OrderStatus, channel: str) -> Phase:
        return lambda token: store.page_orders(edition.edition_id, status, channel, PAGE, token)

    # Only a bank-transfer group is ever `reserving`.
    phases = [orders_in(status, channel) for channel in CHANNELS
              for status in (OrderStatus.OPEN, OrderStatus.RESERVING)
              if status == OrderStatus.OPEN or channel == Channel.BANK_TRANSFER.value]
    return walk_pages(phases, handle, cursor, budget_s)


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
