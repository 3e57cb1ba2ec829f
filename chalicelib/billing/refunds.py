"""Refunds: a record created before money moves, completed by the provider (online: the
adapter's refund call and, where sent, its signed refund notification) or by finance for
bank transfers (with the bank serial). Never twice: one refund per payment (and member)
through a guard item, and every move a conditional write."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.billing import notifications, rules
from chalicelib.billing.errors import NotRefundableError, OrderNotFoundError, RefundAlreadyDoneError, RefundByProviderError, RefundConflictError, RefundNotFoundError, StateChangedError
from chalicelib.billing.providers import ProviderError, RefundRequest, provider
from chalicelib.billing.repository import Order, Refund, refund_queue, repository
from chalicelib.billing.states import FINANCE_COMPLETES, ONLINE, Channel, OrderKind, RefundKind, RefundStatus
from chalicelib.editions import service as editions
from chalicelib.invoicing import service as invoices
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ValidationError
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.money import yuan
from chalicelib.platform.observability import logger
from chalicelib.platform.paging import page_out
from chalicelib.platform.store.base import new_id
from chalicelib.registration.states import RegistrationStatus

mail.register_template(
    "refund.done", "【退费完成】订单 {order_id}",
    "{name}，您好：\n\n订单 {order_id} 的退款 {amount_yuan} 元已原路退回（退款单号 {refund_id}，{completed_at}）。"
    "\n到账时间以支付渠道或银行为准。")
mail.register_template(
    "refund.requested_finance", "【待办理退费】订单 {order_id}",
    "退款单 {refund_id}：订单 {order_id}，{amount_yuan} 元，银行转账交费，请办理退款并在平台登记银行流水号。"
    "\n原因：{reason}")


def view(refund: Refund) -> dict[str, Any]:
    """The refund as the API shows it (models.RefundOut)."""
    return {"refund_id": refund.refund_id, "order_id": refund.order_id,
            "payment_id": refund.payment_id, "registration_id": refund.registration_id,
            "channel": refund.channel, "amount_fen": refund.amount_fen, "kind": refund.kind,
            "status": refund.status, "reason": refund.reason,
            "requested_at": iso(refund.requested_at), "completed_at": iso(refund.completed_at),
            "bank_serial": refund.bank_serial, "failure": refund.failure}


def _own_registration(deps: Deps, order: Order, user_sub: str) -> Any:
    for reg in repository(deps).registrations(order.registration_ids):
        if reg.user_sub == user_sub:
            return reg
    raise OrderNotFoundError()


def _new_refund(order: Order, payment: Any, reg: Any, reason: str, actor: str,
                now: datetime) -> Refund:
    """The refund of `reg`'s share of a credited payment (the trainee's request, or the
    automatic one of a registration that is not approved)."""
    return Refund(
        refund_id=new_id("F"), payment_id=payment.payment_id, order_id=order.order_id,
        edition_id=order.edition_id, registration_id=reg.registration_id, channel=order.channel,
        provider_txn_id=payment.provider_txn_id, amount_fen=rules.refund_amount(order, reg),
        payment_amount_fen=payment.amount_fen, kind=RefundKind.REQUEST.value,
        status=RefundStatus.REQUESTED.value, reason=reason, requested_by=actor,
        requested_at=now, notify_to=reg.email,
        queue=refund_queue(order.edition_id, RefundStatus.REQUESTED))


def request_refund(deps: Deps, user_sub: str, order_id: str, reason: str,
                   now: datetime) -> dict[str, Any]:
    """The trainee's refund request for a paid, approved registration, until course start
    to the second. A repeat (or a racing twin) answers the one refund that exists."""
    store = repository(deps)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写退费原因", field="reason")
    order = store.get_order(order_id)
    if order is None:
        raise OrderNotFoundError()
    reg = _own_registration(deps, order, user_sub)
    edition = editions.get_edition(deps, order.edition_id)
    edition.require_open("refund", now, code="REFUND_WINDOW_CLOSED")
    payment = store.get_payment(order.payment_id) if order.payment_id else None
    if payment is not None:
        existing = store.refund_of(payment.payment_id, reg.registration_id)
        found = store.get_refund(existing) if existing else None
        if found is not None:
            return view(found)
    if payment is None or not rules.refundable(order, reg, payment):
        raise NotRefundableError(status=order.status, payment_status=reg.payment_status)
    if reg.status != RegistrationStatus.APPROVED.value:
        raise NotRefundableError("该报名不是已通过状态，将自动退费")
    refund = _new_refund(order, payment, reg, reason[:200], user_sub, now)
    moved = order if rules.refund_moves_order(order) else None
    if not store.create_refund(refund, moved, reg.registration_id, user_sub, now):
        existing = store.refund_of(payment.payment_id, reg.registration_id)
        found = store.get_refund(existing) if existing else None
        if found is not None:
            return view(found)
        raise StateChangedError()
    execute_refund(deps, refund, now)
    if refund.channel == Channel.BANK_TRANSFER.value:
        mail.queue_mail(deps, f"refund.requested_finance#{refund.refund_id}", edition.finance_email,
                        "refund.requested_finance", {
                            "refund_id": refund.refund_id, "order_id": order.order_id,
                            "amount_yuan": yuan(int(refund.amount_fen)), "reason": refund.reason}, now)
    return view(store.get_refund(refund.refund_id) or refund)


def execute_refund(deps: Deps, refund: Refund, now: datetime) -> str:
    """Ask the provider to send the money back (online channels). Bank transfers wait for
    finance. A provider outage leaves the refund `requested` for a retry."""
    if refund.channel not in ONLINE or refund.status != RefundStatus.REQUESTED.value:
        return str(refund.status)
    store = repository(deps)
    base = deps.settings.public_base_url
    try:
        result = provider(deps, refund.channel).refund(RefundRequest(
            refund_id=refund.refund_id, order_id=refund.order_id, txn_id=refund.provider_txn_id,
            amount_fen=int(refund.amount_fen), payment_amount_fen=int(refund.payment_amount_fen),
            reason=refund.reason, notify_url=f"{base}/webhooks/{refund.channel}"), now)
    except ProviderError as exc:
        logger.warning("refund call failed; will retry", extra={"refund_id": refund.refund_id,
                                                               "error": str(exc)})
        return str(refund.status)
    actor = f"provider:{refund.channel}"
    requested = [RefundStatus.REQUESTED.value]
    if result.status == RefundStatus.DONE.value:
        _complete(deps, refund, requested, actor, now, provider_refund_id=result.provider_refund_id)
        return RefundStatus.DONE.value
    if result.status == RefundStatus.PROCESSING.value:
        # The provider's refund notification completes it (complete_from_notification).
        store.move_refund(refund, RefundStatus.PROCESSING, actor, now, expected=requested,
                          fields={"provider_refund_id": result.provider_refund_id}
                          if result.provider_refund_id else None)
        return RefundStatus.PROCESSING.value
    store.move_refund(refund, RefundStatus.FAILED, actor, now, expected=requested,
                      fields={"failure": (result.detail or "failed")[:300]})
    return RefundStatus.FAILED.value


def _complete(deps: Deps, refund: Refund, expected: list[str], actor: str, now: datetime,
              provider_refund_id: str | None = None, bank_serial: str | None = None) -> bool:
    store = repository(deps)
    order = None
    reg_id = None
    if refund.kind == RefundKind.REQUEST.value:
        reg_id = refund.registration_id
        held = store.get_order(refund.order_id)
        if held is not None and held.kind == OrderKind.INDIVIDUAL.value:
            order = held
    fields: dict[str, Any] = {"completed_at": now, "completed_by": actor}
    if provider_refund_id:
        fields["provider_refund_id"] = provider_refund_id
    if bank_serial:
        fields["bank_serial"] = bank_serial
    ok = store.move_refund(refund, RefundStatus.DONE, actor, now, expected=expected,
                           fields=fields, order=order, registration_id=reg_id,
                           data={"amount_fen": refund.amount_fen}, guard_serial=bank_serial)
    if ok and order is not None:
        _reverse_invoice(deps, order.order_id, actor, now)
    if ok and refund.notify_to:
        name = ""
        if refund.registration_id:
            reg = store.registration(refund.registration_id)
            name = reg.name if reg else ""
        mail.queue_mail(deps, f"refund.done#{refund.refund_id}", refund.notify_to, "refund.done", {
            "name": name or "您好", "order_id": refund.order_id, "refund_id": refund.refund_id,
            "amount_yuan": yuan(int(refund.amount_fen)), "completed_at": iso(now)}, now)
    return ok


def _reverse_invoice(deps: Deps, order_id: str, actor: str, now: datetime) -> None:
    """After commit: a refunded individual order's invoice is reversed (red-letter). A
    failure is logged and never undoes the refund; finance can reverse by hand."""
    try:
        invoices.reverse_for_refund(deps, order_id, actor, now)
    except Exception:  # noqa: BLE001 - a side effect after commit must not undo the refund
        logger.exception("invoice reversal after refund failed", extra={"order_id": order_id})


def complete_from_notification(deps: Deps, note: Any, now: datetime) -> dict[str, Any]:
    """A verified refund notification: completes (or fails) our refund once; replays and
    late duplicates change nothing."""
    store = repository(deps)
    refund = store.get_refund(note.out_refund_no) if note.out_refund_no else None
    if refund is None:
        return notifications.flag(deps, note.provider, note.txn_id, note.out_trade_no,
                                  note.amount_fen, "unknown_refund", "退款单号不存在", note.raw, now)
    if refund.order_id != note.out_trade_no or (note.amount_fen is not None
                                                 and note.amount_fen != refund.amount_fen):
        return notifications.flag(deps, note.provider, note.txn_id, note.out_trade_no,
                                  note.amount_fen, "refund_mismatch",
                                  f"退款单 {refund.refund_id} 的订单或金额不符", note.raw, now)
    if refund.status == RefundStatus.DONE.value:
        return {"result": "already", "refund_id": refund.refund_id}
    actor = f"provider:{note.provider}"
    if not note.succeeded:
        store.move_refund(refund, RefundStatus.FAILED, actor, now,
                          fields={"failure": str(note.raw.get("refund_status", "failed"))})
        notifications.flag(deps, note.provider, note.txn_id, note.out_trade_no, note.amount_fen,
                           "refund_failed", f"退款单 {refund.refund_id}：{note.raw.get('refund_status', 'failed')}",
                           note.raw, now)
        return {"result": "refund_failed", "refund_id": refund.refund_id}
    done = _complete(deps, refund, [RefundStatus.REQUESTED.value, RefundStatus.PROCESSING.value,
                                    RefundStatus.FAILED.value], actor, now,
                     provider_refund_id=note.txn_id)
    return {"result": "refund_done" if done else "already", "refund_id": refund.refund_id}


def complete_by_finance(deps: Deps, refund_id: str, bank_serial: str, actor: str,
                        now: datetime) -> dict[str, Any]:
    """Finance sent the money back by bank transfer (or after a failed online refund) and
    records the bank serial (unique); a repeat with the same serial answers the same."""
    store = repository(deps)
    serial = rules.normalise_serial(bank_serial)
    refund = store.get_refund(refund_id)
    if refund is None:
        raise RefundNotFoundError()
    if refund.status == RefundStatus.DONE.value:
        if refund.bank_serial == serial:
            return view(refund)
        raise RefundAlreadyDoneError()
    if refund.channel in ONLINE and refund.status != RefundStatus.FAILED.value:
        raise RefundByProviderError()
    if not _complete(deps, refund, list(FINANCE_COMPLETES), actor, now, bank_serial=serial):
        current = store.get_refund(refund_id) or refund
        if current.status == RefundStatus.DONE.value and current.bank_serial == serial:
            return view(current)
        raise RefundConflictError(status=current.status)
    return view(store.get_refund(refund_id) or refund)


def list_refunds(deps: Deps, status: str, limit: int, token: str | None) -> dict[str, Any]:
    """Finance's work list: `requested` (bank transfers to pay back), `failed`, ..."""
    edition = editions.get_current(deps)
    items, next_token = repository(deps).page_refunds(edition.edition_id, status, limit, token)
    return page_out("refunds", [view(r) for r in items], next_token)
