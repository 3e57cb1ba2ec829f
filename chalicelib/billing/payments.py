"""The payment core, provider-agnostic: money arriving (a verified provider notification
or a bank transfer finance confirms) is checked against our order, then credited exactly
once, or, when the registration is already paid / not approved / too late, recorded and
refunded automatically by the route it came.

Webhooks: signature first (nothing written for a bad one), then merchant, order and
amount (a mismatch is kept for finance, never credited), then an idempotent transition:
the conditional writes of the repository (a guard item per provider transaction, written
in the crediting transaction: a replay loses its condition and is answered "already");
refund notifications also go through Powertools Idempotency (keyed on the refund id)."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from chalicelib.billing import notifications, rules
from chalicelib.billing.errors import AmountMismatchError, BankSerialUsedError, LineNotFoundError, LineUsedError, NotBankTransferError, OrderNotFoundError
from chalicelib.billing.orders import view
from chalicelib.billing.providers import Notification, SignatureError, provider
from chalicelib.billing.providers.protocol import is_registration_id
from chalicelib.billing.providers.keys import KeysMissingError
from chalicelib.billing.refunds import complete_from_notification, execute_refund
from chalicelib.billing.repository import Order, Payment, Refund, StatementLine, disposition_key, refund_queue, repository
from chalicelib.billing.states import CHANNEL_LABELS, ONLINE, ORDER_STATUS, Channel, LineStatus, OrderKind, OrderStatus, PaymentDisposition, RefundStatus
from chalicelib.editions import service as editions
from chalicelib.identity.accounts import get_account
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import NotFoundError, RetryLaterError, ValidationError
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.money import yuan
from chalicelib.platform.observability import logger
from chalicelib.platform.paging import page_out
from chalicelib.platform.store.base import new_id, retry_lost_races
from chalicelib.registration.states import PaymentStatus

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
AUTO_REFUND_REASONS = {
    PaymentDisposition.DUPLICATE.value: "重复交费自动退回",
    PaymentDisposition.UNAPPROVED.value: "报名未通过审核，自动退回",
    PaymentDisposition.LATE.value: "交费期限已过，自动退回",
}


# --- the idempotent core ----------------------------------------------------------------
def _decide(deps: Deps, order: Order, now: datetime,
            read: Any = None) -> tuple[str, Any, Order | None]:
    """credited / duplicate / unapproved / late, with the registration and the other open
    order to close when the money pays this registration through an older order. `read`:
    the order's registration as just read with it (the webhook's one BatchGetItem)."""
    store = repository(deps)
    in_time = editions.get_edition(deps, order.edition_id).window("payment").is_open(now)
    if order.kind == OrderKind.GROUP.value:
        return rules.disposition(order, None, None, in_time), None, None
    reg = read if read is not None else store.registration(order.registration_ids[0])
    other = None
    if reg is not None and reg.open_order_id and reg.open_order_id != order.order_id:
        other = store.get_order(reg.open_order_id)
    result = rules.disposition(order, reg, other, in_time)
    return result, reg, other if result == PaymentDisposition.CREDITED.value else None


def apply_payment(deps: Deps, *, channel: str, order_id: str | None, txn_id: str,
                  amount_fen: int | None, payer: dict[str, Any] | None, actor: str,
                  now: datetime, line: StatementLine | None = None,
                  raw: dict[str, Any] | None = None,
                  registration_hint: str | None = None) -> dict[str, Any]:
    """Money arrived for `order_id` through `channel` with the provider's `txn_id` (or the
    bank serial). Credits it at most once; otherwise records it and refunds it.
    `registration_hint`: the registration the notice's pass-through field names (Alipay
    passback_params, WeChat Pay attach): the order and it are read in one request, and the
    money is credited only when the order itself names that registration."""
    store = repository(deps)
    # No read of the transaction's guard first: the guard is written in the payment's own
    # transaction (attribute_not_exists), so a replay loses that condition and is answered
    # from the guard then (`_replayed`). Only a notification we would flag looks first, so a
    # trade_no already used elsewhere is still flagged as reused, whatever else is wrong.
    hinted: Any = None
    if order_id and is_registration_id(registration_hint):
        found, hinted = store.order_with_registration(order_id, str(registration_hint))
    else:
        found = store.get_order(order_id) if order_id else None
    problem = None
    if found is None:
        problem = ("unknown_order", "订单号不存在")
    elif found.channel != channel:
        problem = ("channel_mismatch", f"订单的交费方式为{CHANNEL_LABELS.get(found.channel, found.channel)}")
    elif amount_fen != found.amount_fen:
        problem = ("amount_mismatch", f"订单金额 {found.amount_fen} 分，通知金额 {amount_fen} 分")
    elif registration_hint is not None and (found.kind != OrderKind.INDIVIDUAL.value
                                            or list(found.registration_ids) != [registration_hint]):
        # The provider hands back what our pay request sent: another value is not our order
        problem = ("passback_mismatch", f"通知的回传参数指向报名 {registration_hint[:64]}，与订单不符")
    if problem is not None or found is None:
        taken = store.payment_of_txn(channel, txn_id)
        if taken:
            return _replayed(deps, channel, txn_id, taken, order_id, amount_fen, raw, now)
        kind, detail = problem or ("unknown_order", "订单号不存在")
        return notifications.flag(deps, channel, txn_id, order_id, amount_fen, kind, detail, raw, now)
    order: Order = found

    def attempt(n: int) -> dict[str, Any] | None:
        nonlocal order
        if n:  # the last transaction lost a race: decide on the order as it is now
            order = store.get_order(order.order_id) or order
        # the registration read with the order serves the first attempt; a retry reads anew
        disposition, reg, other = _decide(deps, order, now, hinted if n == 0 else None)
        payment = Payment(
            payment_id=new_id("P"), order_id=order.order_id, edition_id=order.edition_id,
            channel=channel, provider_txn_id=txn_id, amount_fen=amount_fen,
            disposition=disposition, registration_ids=list(order.registration_ids),
            payer=payer or {}, received_at=now, actor=actor,
            edition_disposition=disposition_key(order.edition_id, disposition))
        if disposition == PaymentDisposition.CREDITED.value:
            confirmation = _confirmation_mail(deps, order, payment, reg, now) \
                if order.kind != OrderKind.GROUP.value else None
            if store.credit_payment(order, payment, None if reg is None else reg.registration_id,
                                    None if reg is None else reg.open_order_id or None, other,
                                    line, actor, now, mail=confirmation):
                _after_credit(deps, order, payment, reg, now, recorded=confirmation)
                return {"result": "credited", "payment_id": payment.payment_id}
        else:
            refund = new_auto_refund(deps, payment, order, reg, disposition, actor, now)
            if store.record_payment_to_refund(payment, refund, line, actor, now):
                if channel in ONLINE:  # acknowledged to the provider, not credited: finance sees it
                    notifications.flag(deps, channel, txn_id, order.order_id, amount_fen, disposition,
                                       f"订单状态 {ORDER_STATUS.label(order.status)}；退款单 {refund.refund_id}",
                                       raw, now)
                _after_auto_refund(deps, order, payment, refund, reg, now)
                return {"result": disposition, "payment_id": payment.payment_id,
                        "refund_id": refund.refund_id}
        taken = store.payment_of_txn(channel, txn_id)
        if taken:  # a replay (or a concurrent twin) of a transaction already recorded
            return _replayed(deps, channel, txn_id, taken, order.order_id, amount_fen, raw, now)
        if line is not None:
            current = store.get_line(line.line_id)
            if current is not None and current.status != LineStatus.NEW.value:
                raise LineUsedError("该银行流水已入账，不能重复使用", order_id=current.order_id)
        return None
    return retry_lost_races(attempt)


def _replayed(deps: Deps, channel: str, txn_id: str, owner: str, order_id: str | None,
              amount_fen: int | None, raw: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """The transaction was already recorded by payment `owner`: finish what its first
    delivery may not have, then answer (or flag a reuse for another order)."""
    redo_after_credit(deps, owner, now)
    return _taken(deps, channel, txn_id, owner, order_id, amount_fen, raw, now)


def _taken(deps: Deps, channel: str, txn_id: str, owner: str, order_id: str | None,
           amount_fen: int | None, raw: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """The transaction (or bank serial) was already taken by payment `owner`: a replay for
    the same order is acknowledged; one naming another order is flagged for finance."""
    taken_by = repository(deps).get_payment(owner)
    if taken_by is not None and order_id and taken_by.order_id != order_id:
        flagged = notifications.flag(deps, channel, txn_id, order_id, amount_fen, "txn_reused",
                                     f"交易号已用于订单 {taken_by.order_id}", raw, now)
        return {**flagged, "payment_id": owner}
    return {"result": "already", "payment_id": owner}


def new_auto_refund(deps: Deps, payment: Payment, order: Order, reg: Any,
                    kind: str, actor: str, now: datetime) -> Refund:
    """The refund of money that must go back (the whole payment), recorded with it."""
    notify = reg.email if reg is not None else _owner_email(order)
    return Refund(
        refund_id=new_id("F"), payment_id=payment.payment_id, order_id=order.order_id,
        edition_id=order.edition_id, registration_id=None, channel=payment.channel,
        provider_txn_id=payment.provider_txn_id, amount_fen=payment.amount_fen,
        payment_amount_fen=payment.amount_fen, kind=kind, status=RefundStatus.REQUESTED.value,
        reason=AUTO_REFUND_REASONS.get(kind, kind), requested_by=actor, requested_at=now,
        notify_to=notify, queue=refund_queue(order.edition_id, RefundStatus.REQUESTED))


def _owner_email(order: Order) -> str | None:
    try:
        return str(get_account(order.owner_sub).email)
    except NotFoundError:
        return None


def redo_after_credit(deps: Deps, payment_id: str, now: datetime) -> None:
    """A repeat of a confirmation that was already credited finishes what the first one
    may not have (it failed or its Lambda died after the commit): the group's members and
    the trainee's mail. Both are idempotent (member transitions, the mail's id)."""
    store = repository(deps)
    payment = store.get_payment(payment_id)
    if payment is None or payment.disposition != PaymentDisposition.CREDITED.value:
        return
    order = store.get_order(payment.order_id)
    if order is None:
        return
    reg = None
    if order.kind != OrderKind.GROUP.value and order.registration_ids:
        reg = store.registration(list(order.registration_ids)[0])
    _after_credit(deps, order, payment, reg, payment.received_at or now)


def _confirmation(deps: Deps, order: Order, payment: Payment, reg: Any,
                  now: datetime) -> tuple[str, str | None, dict[str, Any]]:
    """(mail id, recipient, parameters) of the payment.confirmed mail."""
    edition = editions.get_edition(deps, order.edition_id)
    to = reg.email if reg is not None else _owner_email(order)
    return f"payment.confirmed#{payment.payment_id}", to, {
        "name": reg.name if reg is not None else order.payer_name,
        "edition_title": edition.title, "order_id": order.order_id,
        "paid_at": iso(now), "amount_yuan": yuan(int(payment.amount_fen)),
        "channel_label": CHANNEL_LABELS.get(payment.channel, payment.channel),
        "card_line": "\n本次为公务卡支付，发票与收据将注明。" if order.official_card else ""}


def _confirmation_mail(deps: Deps, order: Order, payment: Payment, reg: Any,
                       now: datetime) -> Any:
    """The confirmation's outbox item, recorded in the crediting transaction itself (None
    without a recipient)."""
    mail_id, to, params = _confirmation(deps, order, payment, reg, now)
    return mail.prepare_mail(mail_id, to, "payment.confirmed", params, now) if to else None


def _after_credit(deps: Deps, order: Order, payment: Payment, reg: Any, now: datetime,
                  recorded: Any = None) -> None:
    """After the commit: a group's members, then the mail: sent when the transaction
    recorded it, otherwise recorded now (a group; a repeat finishing a first delivery)."""
    if order.kind == OrderKind.GROUP.value:
        order = repository(deps).get_order(order.order_id) or order
        finish_group(deps, order, payment.actor, now)
    if recorded is not None:
        mail.send_recorded(deps, recorded, now)
        return
    mail_id, to, params = _confirmation(deps, order, payment, reg, now)
    if to:
        mail.queue_mail(deps, mail_id, to, "payment.confirmed", params, now, required=True)


def _after_auto_refund(deps: Deps, order: Order, payment: Payment, refund: Refund,
                       reg: Any, now: datetime) -> None:
    execute_refund(deps, refund, now)
    current = repository(deps).get_refund(refund.refund_id) or refund
    edition = editions.get_edition(deps, order.edition_id)
    params = {"name": reg.name if reg is not None else order.payer_name,
              "edition_title": edition.title, "order_id": order.order_id,
              "amount_yuan": yuan(int(payment.amount_fen)),
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
    store = repository(deps)
    changed = seen = 0
    if order.status != OrderStatus.PAID.value or not order.members_pending:
        return {"changed": 0, "seen": 0}
    todo = []
    for reg in store.registrations(order.registration_ids, consistent=True):
        seen += 1
        if reg.payment_status == PaymentStatus.UNPAID.value and reg.open_order_id == order.order_id:
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
        # Powertools' idempotency and boto3: only in processes that take notifications.
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
    note = Notification(**event["note"])
    now = datetime.fromisoformat(event["now"])
    if note.event == "refund":
        return complete_from_notification(deps, note, now)
    return apply_payment(deps, channel=note.provider, order_id=note.out_trade_no,
                         txn_id=note.txn_id, amount_fen=note.amount_fen, payer=note.payer,
                         actor=f"provider:{note.provider}", now=now, raw=note.raw,
                         registration_hint=note.registration_hint)


def process_notification(deps: Deps, note: Notification, now: datetime,
                         lambda_context: Any = None) -> dict[str, Any]:
    """A verified notification: merchant check, then the idempotent transition (a
    payment: the transaction guard; a refund: Powertools Idempotency too)."""
    if note.event == "ignored":
        return {"result": "ignored"}
    if not note.merchant_ok:
        return notifications.flag(deps, note.provider, note.txn_id, note.out_trade_no,
                                  note.amount_fen, "merchant_mismatch", "商户号或应用号不是本平台的",
                                  note.raw, now)
    if not note.txn_id:
        return notifications.flag(deps, note.provider, "", note.out_trade_no, note.amount_fen,
                                  "malformed", "缺少交易号", note.raw, now)
    if note.event != "refund":
        # A payment is exactly-once by the guard item its own transaction writes (a replay
        # or a concurrent twin loses that condition and is answered "already"): no
        # idempotency record around it (two DynamoDB requests fewer per confirmation).
        return apply_payment(deps, channel=note.provider, order_id=note.out_trade_no,
                             txn_id=note.txn_id, amount_fen=note.amount_fen, payer=note.payer,
                             actor=f"provider:{note.provider}", now=now, raw=note.raw,
                             registration_hint=note.registration_hint)
    # A refund's notification keeps Powertools Idempotency: a late replay of an old
    # "failed" report must not move a refund finance has since retried.
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
    # The key names the order and amount too: the same transaction id arriving for another
    # order (or another amount) is not a replay to answer from the cache but a reuse that
    # must reach the core and be flagged for finance.
    event = {"key": f"{note.provider}#{note.event}#{note.txn_id}#{note.out_trade_no}#{note.amount_fen}",
             "note": asdict(note),
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
def confirm_transfer(deps: Deps, order_id: str, line_id: str | None, bank_serial: str | None,
                     amount_fen: int | None, actor: str, now: datetime) -> dict[str, Any]:
    """Finance confirms a bank transfer (individual or group) against a statement line or a
    bank serial: the serial pays at most one order, a line at most once; a repeat of the
    same confirmation answers the same result (and resumes an unfinished group)."""
    store = repository(deps)
    order = store.get_order(order_id)
    if order is None:
        raise OrderNotFoundError()
    if order.channel != Channel.BANK_TRANSFER.value:
        raise NotBankTransferError()
    line = None
    if line_id:
        line = store.get_line(line_id)
        if line is None:
            raise LineNotFoundError()
        serial, amount = line.bank_serial, int(line.amount_fen)
        if line.status != LineStatus.NEW.value:
            if line.order_id == order.order_id:
                return _confirm_result(deps, order, line.payment_id, actor, now)
            raise LineUsedError(order_id=line.order_id)
    else:
        if not bank_serial or amount_fen is None:
            raise ValidationError("请提供 line_id，或 bank_serial 与 amount_fen", field="line_id")
        serial, amount = rules.normalise_serial(bank_serial), int(amount_fen)
    owner = store.payment_of_txn(Channel.BANK_TRANSFER.value, serial)
    if owner:
        paid = store.get_payment(owner)
        if paid is not None and paid.order_id == order.order_id:
            return _confirm_result(deps, order, owner, actor, now)
        raise BankSerialUsedError(order_id=paid.order_id if paid else None)
    if amount != order.amount_fen:
        raise AmountMismatchError(f"到账金额 {yuan(amount)} 元与订单金额 {yuan(int(order.amount_fen))} 元不符",
                                  amount_fen=amount, order_amount_fen=order.amount_fen)
    result = apply_payment(deps, channel=Channel.BANK_TRANSFER.value, order_id=order.order_id,
                           txn_id=serial, amount_fen=amount,
                           payer={"payer_name": line.payer_name if line else None,
                                  "payer_account": line.payer_account if line else None},
                           actor=actor, now=now, line=line)
    return _confirm_result(deps, order, result.get("payment_id"), actor, now, result["result"])


def _confirm_result(deps: Deps, order: Order, payment_id: str | None, actor: str, now: datetime,
                    result: str = "already") -> dict[str, Any]:
    store = repository(deps)
    current = store.get_order(order.order_id) or order
    if current.kind == OrderKind.GROUP.value and current.status == OrderStatus.PAID.value \
            and current.members_pending:
        finish_group(deps, current, actor, now)
        current = store.get_order(order.order_id) or current
    data = view(current, editions.get_edition(deps, current.edition_id))
    data.update({"result": result, "payment_id": payment_id})
    return data


# --- finance lists -----------------------------------------------------------------------
def list_overdue_transfers(deps: Deps, now: datetime, limit: int, token: str | None) -> dict[str, Any]:
    """Open bank transfers past their review date (individual and group)."""
    edition = editions.get_current(deps)
    items, next_token = repository(deps).page_overdue_transfers(
        edition.edition_id, Channel.BANK_TRANSFER.value, now, limit, token)
    return page_out("orders", [view(o, edition) for o in items], next_token)
