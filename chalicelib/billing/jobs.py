"""Payment-side steps of the scheduled jobs (the jobs framework calls them when due).

Each step: `step(deps, edition, now, cursor, budget_s) -> (counts, next_cursor | None)`.
Idempotent (a second run changes nothing: every change is a conditional write or a guarded
insert), resumable (the cursor names the phase and the GSI page key; a step stops when its
time budget is nearly spent), and it reads only through keys and GSIs (no Scan)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable

from chalicelib.platform.clock import iso, monotonic
from chalicelib.editions.edition import Edition
from chalicelib.billing.states import ONLINE, Channel, OrderKind, RefundKind
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.deps import Deps
from chalicelib.billing import repository as store
from chalicelib.platform.store.base import decode_token, encode_token
from chalicelib.billing.repository import Order, Refund
from chalicelib.registration.repository import Registration

PAGE = 50
NOT_APPROVED = ("rejected", "withdrawn", "pending")
CHANNELS = (Channel.ALIPAY.value, Channel.WECHATPAY.value, Channel.BANK_TRANSFER.value)

mail.register_template(
    "transfer.overdue", "【银行转账待审核超期】订单 {order_id}",
    "银行转账订单 {order_id}（{payer_name}，{unit_name}，{amount_yuan} 元，附言“{memo}”）"
    "应于 {review_due_at} 前审核，目前仍未确认到账。\n请核对银行流水后在平台确认，或联系交费人。")


def _load(cursor: str | None) -> tuple[int, dict[str, Any] | None]:
    if not cursor:
        return 0, None
    data = json.loads(cursor)
    return int(data["phase"]), decode_token(data.get("key"))


def _dump(phase: int, key: dict[str, Any] | None) -> str:
    return json.dumps({"phase": phase, "key": encode_token(key)})


def _walk(phases: list[Callable[[dict[str, Any] | None], Any]], handle: Callable[[Any], bool],
          cursor: str | None, budget_s: float) -> tuple[dict[str, int], str | None]:
    """Page through each phase's query; stop (returning a cursor) when the budget is spent.
    The cursor points at the start of the page being worked on: a resumed run re-reads it,
    and the conditional writes make the second look change nothing."""
    started = monotonic()
    phase, key = _load(cursor)
    counts = {"changed": 0, "seen": 0}
    while phase < len(phases):
        result = phases[phase](key)
        for item in result:
            counts["seen"] += 1
            if handle(item):
                counts["changed"] += 1
        key = result.last_evaluated_key
        if key is None:
            phase, key = phase + 1, None
        if phase < len(phases) and monotonic() - started > budget_s * 0.7:
            return counts, _dump(phase, key)
    return counts, None


def _regs_in(edition_id: str, status: str) -> Callable[[dict[str, Any] | None], Any]:
    return lambda key: Registration.by_edition_status.query(
        f"{edition_id}#{status}", limit=PAGE, last_evaluated_key=key)


def _orders_in(queue: str, filter_condition: Any = None) -> Callable[[dict[str, Any] | None], Any]:
    return lambda key: Order.by_queue.query(queue, limit=PAGE, last_evaluated_key=key,
                                            filter_condition=filter_condition)


def lock_refunds_and_refund_unapproved(deps: Deps, edition: Edition, now: datetime,
                                       cursor: str | None, budget_s: float
                                       ) -> tuple[dict[str, int], str | None]:
    """At course start (refund window close): refund requests are refused from now on by
    the request-time check; here every registration that is not approved (rejected,
    withdrawn, still pending) has its open order closed and any money it holds refunded
    automatically by its route; online refunds still waiting for a provider call are
    retried."""
    from chalicelib.billing.orders import close_open_order_of
    from chalicelib.billing.refunds import execute_refund, refund_credited_payment
    actor = "system:lock_refunds"

    def handle(item: Any) -> bool:
        if isinstance(item, Refund):
            return item.channel in ONLINE and execute_refund(deps, item, now) != "requested"
        changed = False
        if item.open_order_id:
            changed = close_open_order_of(deps, item, actor, now, "registration_not_approved")
        if item.payment_status == "paid":
            changed = refund_credited_payment(deps, item, RefundKind.UNAPPROVED.value, actor,
                                              now) is not None or changed
        return changed

    phases: list[Callable[[dict[str, Any] | None], Any]] = [
        _regs_in(edition.edition_id, s) for s in NOT_APPROVED]
    phases.append(lambda key: Refund.by_queue.query(f"{edition.edition_id}#requested", limit=PAGE,
                                                    last_evaluated_key=key))
    return _walk(phases, handle, cursor, budget_s)


def close_unusable_orders(deps: Deps, edition: Edition, now: datetime, cursor: str | None,
                          budget_s: float) -> tuple[dict[str, int], str | None]:
    """Close unpaid orders that can no longer be used: after the payment window (end of
    learning) every open order; before it, orders (or group seats) of registrations that
    are not approved. Their registrations are freed."""
    from chalicelib.billing.group_orders import release_from_group
    from chalicelib.billing.orders import close_fully
    actor = "system:close_unusable_orders"
    window_over = not edition.window("payment").is_open(now)

    def handle(order: Order) -> bool:
        if order.status not in ("open", "reserving"):
            return False
        if window_over:
            return close_fully(order, actor, now, "payment_window_closed")
        members = list(Registration.batch_get(list(order.registration_ids)))
        unusable = [r for r in members if r.status != "approved"]
        if not unusable:
            return False
        if order.kind == OrderKind.INDIVIDUAL.value or len(unusable) == len(members):
            return close_fully(order, actor, now, "registration_not_approved")
        changed = False
        for reg in unusable:
            current = store.get_order(order.order_id)
            if current is not None and release_from_group(current, reg.registration_id, actor, now):
                changed = True
        return changed

    phases = [_orders_in(store.order_queue(edition.edition_id, status, channel))
              for channel in CHANNELS for status in ("open", "reserving")
              if status == "open" or channel == Channel.BANK_TRANSFER.value]
    return _walk(phases, handle, cursor, budget_s)


def remind_overdue_transfers(deps: Deps, edition: Edition, now: datetime, cursor: str | None,
                             budget_s: float) -> tuple[dict[str, int], str | None]:
    """Daily: mail finance about each open bank transfer (individual or group) past its
    5-working-day review date, once per order."""
    from chalicelib.billing.states import yuan

    def handle(order: Order) -> bool:
        if not store.set_order_fields(order, [Order.overdue_reminded_at.set(now)],
                                      Order.overdue_reminded_at.does_not_exist()
                                      & (Order.status == "open")):
            return False
        mail.queue_mail(deps, f"transfer.overdue#{order.order_id}", edition.finance_email,
                        "transfer.overdue", {
                            "order_id": order.order_id, "payer_name": order.payer_name,
                            "unit_name": order.unit_name, "amount_yuan": yuan(order.amount_fen),
                            "memo": order.memo or "", "review_due_at": iso(order.review_due_at)},
                        now)
        return True

    overdue = (Order.review_due_at <= now) & Order.overdue_reminded_at.does_not_exist()
    phases = [_orders_in(store.order_queue(edition.edition_id, "open", Channel.BANK_TRANSFER.value),
                         overdue)]
    return _walk(phases, handle, cursor, budget_s)


def retry_stuck_refunds(deps: Deps, edition: Edition, now: datetime, cursor: str | None,
                        budget_s: float) -> tuple[dict[str, int], str | None]:
    """Any time (e.g. every 15 minutes): online refunds still `requested` because the
    provider could not be reached are asked for again (the provider dedups on our refund
    id, `out_request_no` / `out_refund_no`). Bank-transfer refunds wait for finance."""
    from chalicelib.billing.refunds import execute_refund

    def handle(refund: Refund) -> bool:
        return refund.channel in ONLINE and execute_refund(deps, refund, now) != "requested"

    phases = [lambda key: Refund.by_queue.query(f"{edition.edition_id}#requested", limit=PAGE,
                                                last_evaluated_key=key)]
    return _walk(phases, handle, cursor, budget_s)
