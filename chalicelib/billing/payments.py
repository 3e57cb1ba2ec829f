"""The payment core, provider-agnostic: money arriving (a verified provider notification
or a bank transfer finance confirms) is checked against our order, then credited exactly
once, or, when the registration is already paid / not approved / too late, recorded and
refunded automatically by the route it came.

Webhooks: signature first (nothing written for a bad one), then merchant, order and
amount (a mismatch is kept for finance, never credited), then an idempotent transition:
Powertools Idempotency (DynamoDB persistence, keyed on the provider transaction id) over
the conditional writes in store/payments.py (a guard item per provider transaction)."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from chalicelib.platform.clock import iso
from chalicelib.billing.states import Channel, OrderKind, OrderStatus, PaymentDisposition, RefundKind, RefundStatus, yuan
from chalicelib.platform.errors import ConflictError, NotFoundError, RetryLaterError, ValidationError
from chalicelib.platform.observability import logger
from chalicelib.editions import service as editions
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.deps import Deps
from chalicelib.billing import repository as store
from chalicelib.platform.store.base import new_id
from chalicelib.billing.repository import Order, Payment, ProviderNotification, Refund, StatementLine
from chalicelib.registration.repository import Registration, RegistrationRepository

regs = RegistrationRepository()
IDEMPOTENCY_TTL_S = 30 * 24 * 3600
# A real notification is ~2 KB; anything far bigger is abuse, refused before verification.
MAX_NOTIFICATION_BYTES = 32 * 1024
GROUP_CHUNK = 25  # members marked paid per transaction

mail.register_template(
    "payment.confirmed", "【交费成功】{edition_title}",
    "{name}，您好：\n\n您的订单 {order_id} 已于 {paid_at} 交费成功，金额 {amount_yuan} 元（{channel_label}）。"
    "{card_line}\n现在可以登录平台选学课程。")
mail.register_template(
    "payment.duplicate_refunded", "【重复交费将原路退回】{edition_title}",
    "{name}，您好：\n\n我们收到了订单 {order_id} 的一笔款项 {amount_yuan} 元（{channel_label}，{received_at}），"
    "{why}这笔款项将原路退回（退款单号 {refund_id}），无需您操作。\n务必不要重复交费。")
mail.register_template(
    "payment.auto_refund_finance", "【自动退费】订单 {order_id} 收到需退回的款项",
    "订单 {order_id} 收到 {amount_yuan} 元（{channel_label}，交易号 {txn_id}）：{why}"
    "\n已登记退款单 {refund_id}（状态：{refund_status}）。银行转账的退款请在平台上办理并登记流水号。")

WHY = {
    PaymentDisposition.DUPLICATE.value: "而该报名此前已交费，",
    PaymentDisposition.UNAPPROVED.value: "而该报名未通过审核（或已撤回），",
    PaymentDisposition.LATE.value: "而交费期限已过，",
}


# --- the idempotent core ----------------------------------------------------------------
def _flag(provider: str, txn_id: str, out_trade_no: str | None, amount_fen: int | None,
          problem: str, detail: str, data: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    note = ProviderNotification(
        notification_id=f"{provider}#{txn_id or '-'}#{problem}", provider=provider,
        provider_txn_id=txn_id or "-", out_trade_no=out_trade_no, amount_fen=amount_fen,
        problem=problem, detail=detail, data=data or {}, received_at=now, flag="open")
    store.keep_notification(note)
    logger.warning("payment notification flagged", extra={"problem": problem, "provider": provider,
                                                          "out_trade_no": out_trade_no})
    return {"result": problem}


def _decide(deps: Deps, order: Order, now: datetime) -> tuple[str, Registration | None, Order | None]:
    """credited / duplicate / unapproved / late, with the registration and the other open
    order to close when the money pays this registration through an older order."""
    edition = editions.get_edition(deps, order.edition_id)
    in_time = edition.window("payment").is_open(now)
    if order.kind == OrderKind.GROUP.value:
        if order.status != OrderStatus.OPEN.value:
            return PaymentDisposition.DUPLICATE.value, None, None
        return PaymentDisposition.CREDITED.value, None, None
    reg = regs.get(order.registration_ids[0])
    if reg is None or reg.status != "approved":
        return PaymentDisposition.UNAPPROVED.value, reg, None
    if reg.payment_status != "unpaid" or order.status not in (OrderStatus.OPEN.value,
                                                              OrderStatus.CLOSED.value):
        return PaymentDisposition.DUPLICATE.value, reg, None
    if not in_time:
        return PaymentDisposition.LATE.value, reg, None
    other = None
    if reg.open_order_id and reg.open_order_id != order.order_id:
        other = store.get_order(reg.open_order_id)
        # Held by the unit's group remittance, or a stale pointer: do not take the seat.
        if other is None or other.kind == OrderKind.GROUP.value or other.status != OrderStatus.OPEN.value:
            return PaymentDisposition.DUPLICATE.value, reg, None
    return PaymentDisposition.CREDITED.value, reg, other


def apply_payment(deps: Deps, *, channel: str, order_id: str | None, txn_id: str,
                  amount_fen: int | None, payer: dict[str, Any] | None, actor: str,
                  now: datetime, line: StatementLine | None = None,
                  raw: dict[str, Any] | None = None) -> dict[str, Any]:
    """Money arrived for `order_id` through `channel` with the provider's `txn_id` (or the
    bank serial). Credits it at most once; otherwise records it and refunds it."""
    key = store.txn_key(channel, txn_id)
    owner = store.guard_owner(key)
    if owner:
        redo_after_credit(deps, owner, now)
        return {"result": "already", "payment_id": owner}
    order = store.get_order(order_id) if order_id else None
    if order is None:
        return _flag(channel, txn_id, order_id, amount_fen, "unknown_order",
                     "订单号不存在", raw, now)
    if order.channel != channel:
        return _flag(channel, txn_id, order_id, amount_fen, "channel_mismatch",
                     f"订单的交费方式为 {order.channel}", raw, now)
    if amount_fen != order.amount_fen:
        return _flag(channel, txn_id, order_id, amount_fen, "amount_mismatch",
                     f"订单金额 {order.amount_fen} 分，通知金额 {amount_fen} 分", raw, now)
    for attempt in range(6):
        if attempt:  # the last transaction lost a race: decide on the order as it is now
            order = store.get_order(order.order_id) or order
        disposition, reg, other = _decide(deps, order, now)
        payment = Payment(
            payment_id=new_id("P"), order_id=order.order_id, edition_id=order.edition_id,
            channel=channel, provider_txn_id=txn_id, amount_fen=amount_fen,
            disposition=disposition, registration_ids=list(order.registration_ids),
            payer=payer or {}, received_at=now, actor=actor,
            edition_disposition=f"{order.edition_id}#{disposition}")
        refund: Refund | None = None
        if disposition == PaymentDisposition.CREDITED.value:
            ok = store.credit_payment(order, payment, reg, other, line, actor, now)
        else:
            refund = new_auto_refund(deps, payment, order, reg, disposition, actor, now)
            ok = store.record_payment_to_refund(payment, refund, line, actor, now)
        if ok:
            break
        owner = store.guard_owner(key)
        if owner:
            return {"result": "already", "payment_id": owner}
        if line is not None:
            line.refresh(consistent_read=True)
            if line.status != "new":
                raise ConflictError("该银行流水已入账，不能重复使用", code="LINE_USED",
                                    order_id=line.order_id)
    else:
        raise RetryLaterError()
    if refund is None:
        _after_credit(deps, order, payment, reg, now)
        return {"result": "credited", "payment_id": payment.payment_id}
    _after_auto_refund(deps, order, payment, refund, reg, now)
    return {"result": disposition, "payment_id": payment.payment_id, "refund_id": refund.refund_id}


def new_auto_refund(deps: Deps, payment: Payment, order: Order, reg: Registration | None,
                    kind: str, actor: str, now: datetime) -> Refund:
    notify = reg.email if reg is not None else _owner_email(order)
    reasons = {"duplicate": "重复交费自动退回", "unapproved": "报名未通过审核，自动退回",
               "late": "交费期限已过，自动退回"}
    return Refund(
        refund_id=new_id("F"), payment_id=payment.payment_id, order_id=order.order_id,
        edition_id=order.edition_id, registration_id=None, channel=payment.channel,
        provider_txn_id=payment.provider_txn_id, amount_fen=payment.amount_fen,
        payment_amount_fen=payment.amount_fen, kind=kind, status=RefundStatus.REQUESTED.value,
        reason=reasons.get(kind, kind), requested_by=actor, requested_at=now, notify_to=notify,
        queue=f"{order.edition_id}#{RefundStatus.REQUESTED.value}")


def _owner_email(order: Order) -> str | None:
    from chalicelib.platform.errors import NotFoundError as _NF
    from chalicelib.identity.accounts import get_account
    try:
        return get_account(order.owner_sub).email
    except _NF:
        return None


def redo_after_credit(deps: Deps, payment_id: str, now: datetime) -> None:
    """A repeat of a confirmation that was already credited finishes what the first one
    may not have (it failed or its Lambda died after the commit): the group's members and
    the trainee's mail. Both are idempotent (member transitions, the mail's id)."""
    payment = store.get_payment(payment_id)
    if payment is None or payment.disposition != PaymentDisposition.CREDITED.value:
        return
    order = store.get_order(payment.order_id)
    if order is None:
        return
    reg = None
    if order.kind != OrderKind.GROUP.value and order.registration_ids:
        reg = regs.get(list(order.registration_ids)[0])
    _after_credit(deps, order, payment, reg, payment.received_at or now)


def _after_credit(deps: Deps, order: Order, payment: Payment, reg: Registration | None,
                  now: datetime) -> None:
    edition = editions.get_edition(deps, order.edition_id)
    if order.kind == OrderKind.GROUP.value:
        order.refresh(consistent_read=True)
        finish_group(deps, order, payment.actor, now)
    to = reg.email if reg is not None else _owner_email(order)
    if to:
        from chalicelib.billing.states import CHANNEL_LABELS
        mail.queue_mail(deps, f"payment.confirmed#{payment.payment_id}", to, "payment.confirmed", {
            "name": reg.name if reg is not None else order.payer_name,
            "edition_title": edition.title, "order_id": order.order_id,
            "paid_at": iso(now), "amount_yuan": yuan(payment.amount_fen),
            "channel_label": CHANNEL_LABELS.get(payment.channel, payment.channel),
            "card_line": "\n本次为公务卡支付，发票与收据将注明。" if order.official_card else ""}, now,
            required=True)


def _after_auto_refund(deps: Deps, order: Order, payment: Payment, refund: Refund,
                       reg: Registration | None, now: datetime) -> None:
    from chalicelib.billing.states import CHANNEL_LABELS
    from chalicelib.billing.refunds import execute_refund
    execute_refund(deps, refund, now)
    current = store.get_refund(refund.refund_id) or refund
    edition = editions.get_edition(deps, order.edition_id)
    params = {"name": reg.name if reg is not None else order.payer_name,
              "edition_title": edition.title, "order_id": order.order_id,
              "amount_yuan": yuan(payment.amount_fen),
              "channel_label": CHANNEL_LABELS.get(payment.channel, payment.channel),
              "received_at": iso(now), "why": WHY.get(payment.disposition, ""),
              "refund_id": refund.refund_id, "txn_id": payment.provider_txn_id,
              "refund_status": current.status}
    if refund.notify_to:
        mail.queue_mail(deps, f"payment.duplicate_refunded#{payment.payment_id}", refund.notify_to,
                        "payment.duplicate_refunded", params, now)
    mail.queue_mail(deps, f"payment.auto_refund_finance#{payment.payment_id}",
                    edition.finance_email, "payment.auto_refund_finance", params, now)


def finish_group(deps: Deps, order: Order, actor: str, now: datetime,
                 budget: int | None = None) -> dict[str, int]:
    """Mark every member of a paid group order paid, in transactions of up to 25 members
    (one conditional write each as a fallback): safe to repeat and to resume, for groups
    larger than one DynamoDB transaction. `budget` caps the members changed in this call."""
    changed = seen = 0
    if order.status != OrderStatus.PAID.value or not order.members_pending:
        return {"changed": 0, "seen": 0}
    todo = []
    for reg in Registration.batch_get(list(order.registration_ids), consistent_read=True):
        seen += 1
        if reg.payment_status == "unpaid" and reg.open_order_id == order.order_id:
            todo.append(reg.registration_id)
    while todo and (budget is None or changed < budget):
        size = GROUP_CHUNK if budget is None else min(GROUP_CHUNK, budget - changed)
        chunk, todo = todo[:size], todo[size:]
        if store.mark_members_paid(order, chunk, actor, now):
            changed += len(chunk)
            continue
        for rid in chunk:  # someone else moved one of them: go one by one
            if store.mark_member_paid(order, rid, actor, now):
                changed += 1
    return {"changed": changed, "seen": seen}


# --- webhooks -----------------------------------------------------------------------------
def _idempotent_processor(deps: Deps) -> Any:
    def build(d: Deps) -> Any:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig, idempotent_function

        from chalicelib.platform.aws import client
        layer = DynamoDBPersistenceLayer(table_name=d.settings.table_name("idempotency"),
                                         boto3_client=client(d.settings, "dynamodb"))
        config = IdempotencyConfig(event_key_jmespath="key", raise_on_no_idempotency_key=True,
                                   expires_after_seconds=IDEMPOTENCY_TTL_S)

        @idempotent_function(data_keyword_argument="event", persistence_store=layer, config=config)
        def process(event: dict[str, Any]) -> dict[str, Any]:
            return _process(d, event)
        process.idempotency_config = config  # type: ignore[attr-defined]
        return process
    return deps.adapter("payments:idempotent", build)


def _process(deps: Deps, event: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.billing.providers import Notification
    note = Notification(**event["note"])
    now = datetime.fromisoformat(event["now"])
    if note.event == "refund":
        from chalicelib.billing.refunds import complete_from_notification
        return complete_from_notification(deps, note, now)
    return apply_payment(deps, channel=note.provider, order_id=note.out_trade_no,
                         txn_id=note.txn_id, amount_fen=note.amount_fen, payer=note.payer,
                         actor=f"provider:{note.provider}", now=now, raw=note.raw)


def process_notification(deps: Deps, note: Any, now: datetime,
                         lambda_context: Any = None) -> dict[str, Any]:
    """A verified notification: merchant check, then the idempotent transition."""
    if note.event == "ignored":
        return {"result": "ignored"}
    if not note.merchant_ok:
        return _flag(note.provider, note.txn_id, note.out_trade_no, note.amount_fen,
                     "merchant_mismatch", "商户号或应用号不是本平台的", note.raw, now)
    if not note.txn_id:
        return _flag(note.provider, "", note.out_trade_no, note.amount_fen, "malformed",
                     "缺少交易号", note.raw, now)
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
    event = {"key": f"{note.provider}#{note.event}#{note.txn_id}", "note": asdict(note),
             "now": now.isoformat()}
    processor = _idempotent_processor(deps)
    if lambda_context is not None and hasattr(lambda_context, "get_remaining_time_in_millis"):
        # In-progress records then expire with this invocation, not after an hour.
        processor.idempotency_config.register_lambda_context(lambda_context)
    try:
        return processor(event=event)  # type: ignore[no-any-return]
    except IdempotencyAlreadyInProgressError as exc:
        raise RetryLaterError("同一通知正在处理中") from exc


def handle_alipay(deps: Deps, body: bytes, now: datetime,
                  lambda_context: Any = None) -> tuple[int, str]:
    """(status, body) for Alipay: `success` stops its retries; `fail` asks for a retry."""
    from chalicelib.billing.providers import SignatureError, provider
    from chalicelib.billing.providers.keys import KeysMissingError
    if len(body) > MAX_NOTIFICATION_BYTES:  # refused before any parsing or crypto
        logger.warning("alipay notification rejected", extra={"reason": "too_large", "bytes": len(body)})
        return 413, "fail"
    try:
        note = provider(deps, "alipay").parse_notification(body, {}, now)
    except SignatureError as exc:
        logger.warning("alipay notification rejected", extra={"reason": exc.reason})
        return 400, "fail"
    except KeysMissingError:
        logger.exception("alipay keys missing")
        return 503, "fail"
    try:
        process_notification(deps, note, now, lambda_context)
    except RetryLaterError:
        return 503, "fail"
    return 200, "success"


def handle_wechatpay(deps: Deps, body: bytes, headers: dict[str, str], now: datetime,
                     lambda_context: Any = None) -> tuple[int, dict[str, str] | None]:
    """(status, JSON body) for WeChat Pay v3: 204 on success; 4xx FAIL for a bad signature;
    5xx only when a retry helps."""
    from chalicelib.billing.providers import SignatureError, provider
    from chalicelib.billing.providers.keys import KeysMissingError
    if len(body) > MAX_NOTIFICATION_BYTES:  # refused before any parsing or crypto
        logger.warning("wechatpay notification rejected", extra={"reason": "too_large", "bytes": len(body)})
        return 413, {"code": "FAIL", "message": "通知过大"}
    try:
        note = provider(deps, "wechatpay").parse_notification(body, headers, now)
    except SignatureError as exc:
        logger.warning("wechatpay notification rejected", extra={"reason": exc.reason})
        return 401, {"code": "FAIL", "message": f"签名验证失败：{exc.reason}"}
    except KeysMissingError:
        logger.exception("wechatpay keys missing")
        return 503, {"code": "FAIL", "message": "系统繁忙"}
    try:
        process_notification(deps, note, now, lambda_context)
    except RetryLaterError:
        return 503, {"code": "FAIL", "message": "处理中，请稍后重试"}
    return 204, None


# --- bank transfers confirmed by finance -------------------------------------------------
def normalise_serial(serial: str) -> str:
    value = "".join(serial.split()).upper()
    if not value or len(value) > 64:
        raise ValidationError("银行流水号无效", field="bank_serial")
    return value


def confirm_transfer(deps: Deps, order_id: str, line_id: str | None, bank_serial: str | None,
                     amount_fen: int | None, actor: str, now: datetime) -> dict[str, Any]:
    """Finance confirms a bank transfer (individual or group) against a statement line or a
    bank serial: the serial pays at most one order, a line at most once; a repeat of the
    same confirmation answers the same result (and resumes an unfinished group)."""
    order = store.get_order(order_id)
    if order is None:
        raise NotFoundError("订单不存在", code="ORDER_NOT_FOUND")
    if order.channel != Channel.BANK_TRANSFER.value:
        raise ConflictError("该订单不是银行转账订单", code="NOT_BANK_TRANSFER")
    line = None
    if line_id:
        line = store.get_line(line_id)
        if line is None:
            raise NotFoundError("银行流水不存在", code="LINE_NOT_FOUND")
        serial, amount = line.bank_serial, int(line.amount_fen)
        if line.status != "new":
            if line.order_id == order.order_id:
                return _confirm_result(deps, order, line.payment_id, actor, now)
            raise ConflictError("该银行流水已用于其他订单", code="LINE_USED", order_id=line.order_id)
    else:
        if not bank_serial or amount_fen is None:
            raise ValidationError("请提供 line_id，或 bank_serial 与 amount_fen", field="line_id")
        serial, amount = normalise_serial(bank_serial), int(amount_fen)
    owner = store.guard_owner(store.txn_key(Channel.BANK_TRANSFER.value, serial))
    if owner:
        paid = store.get_payment(owner)
        if paid is not None and paid.order_id == order.order_id:
            return _confirm_result(deps, order, owner, actor, now)
        raise ConflictError("该银行流水号已入账（用于其他订单），不能重复使用", code="BANK_SERIAL_USED",
                            order_id=paid.order_id if paid else None)
    if amount != order.amount_fen:
        raise ConflictError(f"到账金额 {yuan(amount)} 元与订单金额 {yuan(order.amount_fen)} 元不符",
                            code="AMOUNT_MISMATCH", amount_fen=amount, order_amount_fen=order.amount_fen)
    result = apply_payment(deps, channel=Channel.BANK_TRANSFER.value, order_id=order.order_id,
                           txn_id=serial, amount_fen=amount,
                           payer={"payer_name": line.payer_name if line else None,
                                  "payer_account": line.payer_account if line else None},
                           actor=actor, now=now, line=line)
    return _confirm_result(deps, order, result.get("payment_id"), actor, now, result["result"])


def _confirm_result(deps: Deps, order: Order, payment_id: str | None, actor: str, now: datetime,
                    result: str = "already") -> dict[str, Any]:
    from chalicelib.billing.orders import view
    current = store.get_order(order.order_id) or order
    if current.kind == OrderKind.GROUP.value and current.status == OrderStatus.PAID.value \
            and current.members_pending:
        finish_group(deps, current, actor, now)
        current.refresh(consistent_read=True)
    data = view(current, editions.get_edition(deps, current.edition_id))
    data.update({"result": result, "payment_id": payment_id})
    return data


# --- finance lists -----------------------------------------------------------------------
def list_flagged(limit: int, token: str | None) -> dict[str, Any]:
    items, next_token = store.open_notifications(limit, token)
    return {"notifications": [{
        "notification_id": n.notification_id, "provider": n.provider,
        "provider_txn_id": n.provider_txn_id, "out_trade_no": n.out_trade_no,
        "amount_fen": n.amount_fen, "problem": n.problem, "detail": n.detail,
        "received_at": iso(n.received_at), "deliveries": n.deliveries,
        "data": json.loads(json.dumps(n.data or {}, default=str))} for n in items],
        "next_token": next_token}


def list_overdue_transfers(deps: Deps, now: datetime, limit: int, token: str | None) -> dict[str, Any]:
    from chalicelib.billing.orders import view
    edition = editions.get_current(deps)
    items, next_token = store.orders_in_queue(
        store.order_queue(edition.edition_id, "open", Channel.BANK_TRANSFER.value), limit, token,
        Order.review_due_at <= now)
    page: dict[str, Any] = {"orders": [view(o, edition) for o in items]}
    if next_token:  # the contract: a string when there is more, absent otherwise
        page["next_token"] = next_token
    return page


def list_duplicates(deps: Deps, kind: str) -> list[Payment]:
    edition = editions.get_current(deps)
    return list(Payment.by_edition_disposition.query(f"{edition.edition_id}#{kind}"))


__all__ = ["apply_payment", "confirm_transfer", "handle_alipay", "handle_wechatpay",
           "RefundKind"]
