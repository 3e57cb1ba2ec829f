"""Orders, payments, refunds, provider notifications we could not credit, and bank
statement lines. Every state change here is a conditional write in one transaction with
its audit entry; "at most once" rules hold through guard items (store/uniques.Unique):
  provider-txn#<channel>#<txn id>   one payment per provider transaction / bank serial
  refund#<payment id>#<reg or all>  one refund per payment (and member)
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from pynamodb.attributes import Attribute, BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.constants import NUMBER
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import decode_token, encode_token, is_condition_failure, register, transaction
from chalicelib.registration.repository import Registration
from chalicelib.platform.store.uniques import Unique


class FenAttribute(Attribute[int]):
    """Money in integer fen (a DynamoDB number that reads back as an int)."""
    attr_type = NUMBER

    def serialize(self, value: Any) -> str:
        return str(int(value))

    def deserialize(self, value: Any) -> int:
        return int(value)


# --- orders -------------------------------------------------------------------------------
class OrderByOwner(GlobalSecondaryIndex["Order"]):
    class Meta:
        index_name = "by_owner"
        projection = AllProjection()

    owner_sub = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class OrderByQueue(GlobalSecondaryIndex["Order"]):
    """`<edition>#<status>#<channel>`: the open bank transfers, the open online orders..."""
    class Meta:
        index_name = "by_queue"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


@register
class Order(Model):
    class Meta:
        table_name = "orders"

    order_id = UnicodeAttribute(hash_key=True)
    edition_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # individual | group
    channel = UnicodeAttribute()
    owner_sub = UnicodeAttribute()
    registration_ids: ListAttribute[str] = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    amount_fen = FenAttribute()
    status = UnicodeAttribute()
    official_card = BooleanAttribute(default=False)
    unit_name = UnicodeAttribute()
    payer_name = UnicodeAttribute()  # the trainee, or the unit for a group
    memo = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    review_due_at = UTCDateTimeAttribute(null=True)  # bank transfers: reviewed by then
    overdue_reminded_at = UTCDateTimeAttribute(null=True)
    paid_at = UTCDateTimeAttribute(null=True)
    payment_id = UnicodeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    close_reason = UnicodeAttribute(null=True)
    members_pending = NumberAttribute(null=True)  # group: members still to mark paid
    voucher_key = UnicodeAttribute(null=True)
    member_list_key = UnicodeAttribute(null=True)
    pay_link = JSONAttribute(null=True)  # {"pay_url"} / {"code_url"} of an online order
    queue = UnicodeAttribute()
    version = NumberAttribute(default=1)

    by_owner = OrderByOwner()
    by_queue = OrderByQueue()


def order_queue(edition_id: str, status: str, channel: str) -> str:
    return f"{edition_id}#{status}#{channel}"


# --- payments -----------------------------------------------------------------------------
class PaymentByOrder(GlobalSecondaryIndex["Payment"]):
    class Meta:
        index_name = "by_order"
        projection = AllProjection()

    order_id = UnicodeAttribute(hash_key=True)
    received_at = UTCDateTimeAttribute(range_key=True)


class PaymentByEditionDisposition(GlobalSecondaryIndex["Payment"]):
    """`<edition>#<disposition>`: the duplicates, the unapproved ones."""
    class Meta:
        index_name = "by_edition_disposition"
        projection = AllProjection()

    edition_disposition = UnicodeAttribute(hash_key=True)
    received_at = UTCDateTimeAttribute(range_key=True)


@register
class Payment(Model):
    """Money that arrived; final once written (refunds are their own records)."""
    class Meta:
        table_name = "payments"

    payment_id = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute()
    edition_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    provider_txn_id = UnicodeAttribute()  # provider transaction id or bank serial
    amount_fen = FenAttribute()
    disposition = UnicodeAttribute()  # credited | duplicate | unapproved
    registration_ids: ListAttribute[str] = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    payer = JSONAttribute(null=True)
    received_at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    edition_disposition = UnicodeAttribute()

    by_order = PaymentByOrder()
    by_edition_disposition = PaymentByEditionDisposition()


# --- refunds ------------------------------------------------------------------------------
class RefundByQueue(GlobalSecondaryIndex["Refund"]):
    """`<edition>#<status>`: finance's list of refunds to complete."""
    class Meta:
        index_name = "by_queue"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    requested_at = UTCDateTimeAttribute(range_key=True)


class RefundByOrder(GlobalSecondaryIndex["Refund"]):
    class Meta:
        index_name = "by_order"
        projection = AllProjection()

    order_id = UnicodeAttribute(hash_key=True)
    requested_at = UTCDateTimeAttribute(range_key=True)


@register
class Refund(Model):
    class Meta:
        table_name = "refunds"

    refund_id = UnicodeAttribute(hash_key=True)
    payment_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    edition_id = UnicodeAttribute()
    registration_id = UnicodeAttribute(null=True)  # the member refunded (None: whole payment)
    channel = UnicodeAttribute()
    provider_txn_id = UnicodeAttribute()
    amount_fen = FenAttribute()
    payment_amount_fen = FenAttribute()
    kind = UnicodeAttribute()  # request | duplicate | unapproved
    status = UnicodeAttribute()
    reason = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    requested_at = UTCDateTimeAttribute()
    notify_to = UnicodeAttribute(null=True)  # who is told when it is done
    provider_refund_id = UnicodeAttribute(null=True)
    bank_serial = UnicodeAttribute(null=True)
    completed_at = UTCDateTimeAttribute(null=True)
    completed_by = UnicodeAttribute(null=True)
    failure = UnicodeAttribute(null=True)
    queue = UnicodeAttribute()
    version = NumberAttribute(default=1)

    by_queue = RefundByQueue()
    by_order = RefundByOrder()


# --- notifications we kept but did not credit (for finance) -----------------------------
class NotificationByFlag(GlobalSecondaryIndex["ProviderNotification"]):
    class Meta:
        index_name = "by_flag"
        projection = AllProjection()

    flag = UnicodeAttribute(hash_key=True)  # "open" while finance has not resolved it
    received_at = UTCDateTimeAttribute(range_key=True)


@register
class ProviderNotification(Model):
    class Meta:
        table_name = "payment_notifications"

    notification_id = UnicodeAttribute(hash_key=True)  # provider#txn#problem: replays merge
    provider = UnicodeAttribute()
    provider_txn_id = UnicodeAttribute()
    out_trade_no = UnicodeAttribute(null=True)
    amount_fen = FenAttribute(null=True)
    problem = UnicodeAttribute()  # unknown_order | amount_mismatch | merchant_mismatch
    detail = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)
    received_at = UTCDateTimeAttribute()
    deliveries = NumberAttribute(default=1)
    flag = UnicodeAttribute(null=True)

    by_flag = NotificationByFlag()


# --- bank statement lines -----------------------------------------------------------------
class LineByEditionStatus(GlobalSecondaryIndex["StatementLine"]):
    class Meta:
        index_name = "by_edition_status"
        projection = AllProjection()

    edition_status = UnicodeAttribute(hash_key=True)  # `<edition>#new` / `<edition>#used`
    imported_at = UTCDateTimeAttribute(range_key=True)


@register
class StatementLine(Model):
    class Meta:
        table_name = "statement_lines"

    line_id = UnicodeAttribute(hash_key=True)  # derived from the bank serial: re-imports merge
    bank_serial = UnicodeAttribute()
    edition_id = UnicodeAttribute()
    amount_fen = FenAttribute()
    trade_date = UnicodeAttribute(null=True)
    payer_name = UnicodeAttribute(null=True)
    payer_account = UnicodeAttribute(null=True)
    memo = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # new | used
    order_id = UnicodeAttribute(null=True)
    payment_id = UnicodeAttribute(null=True)
    imported_at = UTCDateTimeAttribute()
    imported_by = UnicodeAttribute()
    edition_status = UnicodeAttribute()

    by_edition_status = LineByEditionStatus()


# --- repository ---------------------------------------------------------------------------
def _get(model: Any, key: str) -> Any:
    try:
        return model.get(key, consistent_read=True)
    except DoesNotExist:
        return None


def get_order(order_id: str) -> Order | None:
    return _get(Order, order_id)  # type: ignore[no-any-return]


def get_payment(payment_id: str) -> Payment | None:
    return _get(Payment, payment_id)  # type: ignore[no-any-return]


def get_refund(refund_id: str) -> Refund | None:
    return _get(Refund, refund_id)  # type: ignore[no-any-return]


def get_line(line_id: str) -> StatementLine | None:
    return _get(StatementLine, line_id)  # type: ignore[no-any-return]


def guard_owner(key: str) -> str | None:
    item = _get(Unique, key)
    return None if item is None else str(item.owner)


def txn_key(channel: str, txn_id: str) -> str:
    return f"provider-txn#{channel}#{txn_id}"


def refund_key(payment_id: str, registration_id: str | None) -> str:
    return f"refund#{payment_id}#{registration_id or 'all'}"


def orders_of_owner(owner_sub: str) -> list[Order]:
    return list(Order.by_owner.query(owner_sub, scan_index_forward=False))


def orders_in_queue(queue: str, limit: int | None = None, token: str | None = None,
                    filter_condition: Any = None) -> tuple[list[Order], str | None]:
    result = Order.by_queue.query(queue, limit=limit, last_evaluated_key=decode_token(token),
                                  filter_condition=filter_condition)
    items = list(result)
    return items, encode_token(result.last_evaluated_key)


def all_orders_in_queue(edition_id: str, status: str, channel: str) -> list[Order]:
    return list(Order.by_queue.query(order_queue(edition_id, status, channel)))


def paid_orders_between(edition_id: str, channel: str, lo: datetime, hi: datetime, limit: int,
                        token: str | None) -> tuple[list[Order], str | None]:
    return orders_in_queue(order_queue(edition_id, "paid", channel), limit, token,
                           Order.paid_at.between(lo, hi))


def payments_of_order(order_id: str) -> list[Payment]:
    return list(Payment.by_order.query(order_id))


def refunds_of_order(order_id: str) -> list[Refund]:
    return list(Refund.by_order.query(order_id))


def refunds_in_queue(queue: str, limit: int, token: str | None) -> tuple[list[Refund], str | None]:
    result = Refund.by_queue.query(queue, limit=limit, last_evaluated_key=decode_token(token))
    items = list(result)
    return items, encode_token(result.last_evaluated_key)


def _run(build: Any) -> bool:
    """Run a transaction; False when a condition failed (someone else moved first)."""
    try:
        with transaction() as tx:
            build(tx)
    except TransactWriteError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def create_order(order: Order, regs: list[Registration], actor: str, now: datetime) -> bool:
    """Insert the order and reserve each registration (open_order_id) atomically: every
    member must still be approved, unpaid and in no other open order."""
    def build(tx: Any) -> None:
        tx.save(order, condition=Order.order_id.does_not_exist())
        for reg in regs:
            tx.update(reg, actions=[Registration.open_order_id.set(order.order_id),
                                    Registration.version.add(1)],
                      condition=(Registration.status == "approved")
                      & (Registration.payment_status == "unpaid")
                      & Registration.open_order_id.does_not_exist())
        tx.save(audit_entry(f"order#{order.order_id}", "order.created", actor, now,
                            {"channel": order.channel, "amount_fen": order.amount_fen,
                             "registrations": list(order.registration_ids)}))
    return _run(build)


def reserve_members(order: Order, regs: list[Registration]) -> bool:
    """Reserve one more chunk of a large group order (still `reserving`)."""
    def build(tx: Any) -> None:
        tx.condition_check(Order, order.order_id, condition=Order.status == "reserving")
        for reg in regs:
            tx.update(reg, actions=[Registration.open_order_id.set(order.order_id),
                                    Registration.version.add(1)],
                      condition=(Registration.status == "approved")
                      & (Registration.payment_status == "unpaid")
                      & Registration.open_order_id.does_not_exist())
    return _run(build)


def open_reserved(order: Order, actor: str, now: datetime) -> bool:
    def build(tx: Any) -> None:
        tx.update(order, actions=[Order.status.set("open"),
                                  Order.queue.set(order_queue(order.edition_id, "open", order.channel))],
                  condition=Order.status == "reserving")
        tx.save(audit_entry(f"order#{order.order_id}", "order.opened", actor, now,
                            {"members": len(order.registration_ids)}))
    return _run(build)


def close_order(order: Order, actor: str, now: datetime, reason: str,
                registration_ids: Iterable[str], expected: str = "open") -> bool:
    """open -> closed, releasing every registration it still holds (at most ~95 per call:
    a large group is released in chunks with `release_chunk` first)."""
    def build(tx: Any) -> None:
        tx.update(order, actions=[Order.status.set("closed"), Order.closed_at.set(now),
                                  Order.close_reason.set(reason),
                                  Order.queue.set(order_queue(order.edition_id, "closed", order.channel)),
                                  Order.version.add(1)],
                  condition=Order.status == expected)
        for rid in registration_ids:
            tx.update(Registration(registration_id=rid),
                      actions=[Registration.open_order_id.remove(), Registration.version.add(1)],
                      condition=Registration.open_order_id == order.order_id)
        tx.save(audit_entry(f"order#{order.order_id}", "order.closed", actor, now,
                            {"reason": reason}))
    return _run(build)


def release_chunk(order: Order, registration_ids: list[str]) -> int:
    """Free registrations still pointing at `order` (one conditional write each)."""
    freed = 0
    for rid in registration_ids:
        try:
            Registration(registration_id=rid).update(
                actions=[Registration.open_order_id.remove(), Registration.version.add(1)],
                condition=Registration.open_order_id == order.order_id)
            freed += 1
        except Exception as exc:
            if not is_condition_failure(exc):
                raise
    return freed


def release_member(order: Order, registration_id: str, new_amount: int, actor: str,
                   now: datetime) -> bool:
    """A unit takes one member out of its unpaid group order."""
    remaining = [r for r in order.registration_ids if r != registration_id]

    def build(tx: Any) -> None:
        tx.update(order, actions=[Order.registration_ids.set(remaining),
                                  Order.amount_fen.set(new_amount), Order.version.add(1)],
                  condition=(Order.status == "open") & (Order.version == order.version))
        tx.update(Registration(registration_id=registration_id),
                  actions=[Registration.open_order_id.remove(), Registration.version.add(1)],
                  condition=Registration.open_order_id == order.order_id)
        tx.save(audit_entry(f"order#{order.order_id}", "order.member_released", actor, now,
                            {"registration_id": registration_id, "amount_fen": new_amount}))
    return _run(build)


def credit_payment(order: Order, payment: Payment, reg: Registration | None,
                   other_open_order: Order | None, line: StatementLine | None,
                   actor: str, now: datetime) -> bool:
    """The money credits `order`: the payment (unique per provider transaction), the order
    -> paid and, for an individual order, its registration -> paid, in one transaction.
    A group's members are marked paid afterwards in resumable batches (`mark_member_paid`)."""
    group = reg is None

    def build(tx: Any) -> None:
        tx.save(Unique(key=txn_key(payment.channel, payment.provider_txn_id),
                       owner=payment.payment_id, created_at=now),
                condition=Unique.key.does_not_exist())
        tx.save(payment, condition=Payment.payment_id.does_not_exist())
        actions = [Order.status.set("paid"), Order.paid_at.set(now),
                   Order.payment_id.set(payment.payment_id),
                   Order.queue.set(order_queue(order.edition_id, "paid", order.channel)),
                   Order.version.add(1)]
        if group:
            actions.append(Order.members_pending.set(len(order.registration_ids)))
            tx.update(order, actions=actions, condition=Order.status == "open")
        else:
            tx.update(order, actions=actions, condition=Order.status.is_in("open", "closed"))
        if reg is not None:
            cond = (Registration.status == "approved") & (Registration.payment_status == "unpaid")
            if other_open_order is not None:
                cond &= Registration.open_order_id == other_open_order.order_id
                tx.update(other_open_order, actions=[
                    Order.status.set("closed"), Order.closed_at.set(now),
                    Order.close_reason.set("paid_by_other_order"),
                    Order.queue.set(order_queue(other_open_order.edition_id, "closed",
                                                other_open_order.channel)),
                    Order.version.add(1)], condition=Order.status == "open")
            elif reg.open_order_id == order.order_id:
                cond &= Registration.open_order_id == order.order_id
            else:
                cond &= Registration.open_order_id.does_not_exist()
            tx.update(reg, actions=[Registration.payment_status.set("paid"),
                                    Registration.paid_order_id.set(order.order_id),
                                    Registration.paid_at.set(now),
                                    Registration.open_order_id.remove(),
                                    Registration.version.add(1)], condition=cond)
        if line is not None:
            tx.update(line, actions=[StatementLine.status.set("used"),
                                     StatementLine.order_id.set(order.order_id),
                                     StatementLine.payment_id.set(payment.payment_id),
                                     StatementLine.edition_status.set(f"{line.edition_id}#used")],
                      condition=StatementLine.status == "new")
        tx.save(audit_entry(f"order#{order.order_id}", "order.paid", actor, now,
                            {"payment_id": payment.payment_id, "channel": payment.channel,
                             "txn": payment.provider_txn_id, "amount_fen": payment.amount_fen}))
    return _run(build)


def mark_members_paid(order: Order, registration_ids: list[str], actor: str, now: datetime) -> bool:
    """Several members of a paid group order -> paid in one transaction (all or none)."""
    def build(tx: Any) -> None:
        for rid in registration_ids:
            tx.update(Registration(registration_id=rid), actions=[
                Registration.payment_status.set("paid"), Registration.paid_order_id.set(order.order_id),
                Registration.paid_at.set(now), Registration.open_order_id.remove(),
                Registration.version.add(1)],
                condition=(Registration.open_order_id == order.order_id)
                & (Registration.payment_status == "unpaid"))
        tx.update(order, actions=[Order.members_pending.add(-len(registration_ids))],
                  condition=Order.members_pending >= len(registration_ids))
        tx.save(audit_entry(f"order#{order.order_id}", "order.members_paid", actor, now,
                            {"registration_ids": registration_ids}))
    return _run(build)


def mark_member_paid(order: Order, registration_id: str, actor: str, now: datetime) -> bool:
    """One member of a paid group order -> paid (conditional: a repeat changes nothing)."""
    def build(tx: Any) -> None:
        tx.update(Registration(registration_id=registration_id), actions=[
            Registration.payment_status.set("paid"), Registration.paid_order_id.set(order.order_id),
            Registration.paid_at.set(now), Registration.open_order_id.remove(),
            Registration.version.add(1)],
            condition=(Registration.open_order_id == order.order_id)
            & (Registration.payment_status == "unpaid"))
        tx.update(order, actions=[Order.members_pending.add(-1)],
                  condition=Order.members_pending > 0)
        tx.save(audit_entry(f"registration#{registration_id}", "registration.paid", actor, now,
                            {"order_id": order.order_id}))
    return _run(build)


def record_payment_to_refund(payment: Payment, refund: Refund, line: StatementLine | None,
                             actor: str, now: datetime) -> bool:
    """Money we must send back (duplicate / not approved): the payment and its refund are
    recorded together, before any money moves."""
    def build(tx: Any) -> None:
        tx.save(Unique(key=txn_key(payment.channel, payment.provider_txn_id),
                       owner=payment.payment_id, created_at=now),
                condition=Unique.key.does_not_exist())
        tx.save(payment, condition=Payment.payment_id.does_not_exist())
        tx.save(Unique(key=refund_key(payment.payment_id, refund.registration_id),
                       owner=refund.refund_id, created_at=now),
                condition=Unique.key.does_not_exist())
        tx.save(refund, condition=Refund.refund_id.does_not_exist())
        if line is not None:
            tx.update(line, actions=[StatementLine.status.set("used"),
                                     StatementLine.order_id.set(payment.order_id),
                                     StatementLine.payment_id.set(payment.payment_id),
                                     StatementLine.edition_status.set(f"{line.edition_id}#used")],
                      condition=StatementLine.status == "new")
        tx.save(audit_entry(f"order#{payment.order_id}", f"payment.{payment.disposition}", actor,
                            now, {"payment_id": payment.payment_id, "refund_id": refund.refund_id,
                                  "amount_fen": payment.amount_fen}))
    return _run(build)


def create_refund(refund: Refund, order: Order | None, reg: Registration | None,
                  actor: str, now: datetime) -> bool:
    """A refund of a credited payment (the trainee's request, or an automatic one for a
    registration that is not approved): recorded before money moves; the registration
    leaves `paid` at once (it can no longer learn)."""
    def build(tx: Any) -> None:
        tx.save(Unique(key=refund_key(refund.payment_id, refund.registration_id),
                       owner=refund.refund_id, created_at=now),
                condition=Unique.key.does_not_exist())
        tx.save(refund, condition=Refund.refund_id.does_not_exist())
        if order is not None:
            tx.update(order, actions=[Order.status.set("refunding"),
                                      Order.queue.set(order_queue(order.edition_id, "refunding",
                                                                  order.channel)),
                                      Order.version.add(1)], condition=Order.status == "paid")
        if reg is not None:
            tx.update(reg, actions=[Registration.payment_status.set("refunding"),
                                    Registration.version.add(1)],
                      condition=(Registration.payment_status == "paid")
                      & (Registration.paid_order_id == refund.order_id))
        tx.save(audit_entry(f"order#{refund.order_id}", "refund.requested", actor, now,
                            {"refund_id": refund.refund_id, "kind": refund.kind,
                             "amount_fen": refund.amount_fen,
                             "registration_id": refund.registration_id}))
    return _run(build)


def move_refund(refund: Refund, expected: list[str], new: str, actor: str, now: datetime,
                extra: list[Any] | None = None, order: Order | None = None,
                reg_id: str | None = None, data: dict[str, Any] | None = None,
                guard_key: str | None = None) -> bool:
    """Refund `expected` -> `new`; when done, its order -> refunded and the registration ->
    refunded in the same transaction."""
    def build(tx: Any) -> None:
        actions = [Refund.status.set(new), Refund.queue.set(f"{refund.edition_id}#{new}"),
                   Refund.version.add(1), *(extra or [])]
        tx.update(refund, actions=actions, condition=Refund.status.is_in(*expected))
        if guard_key is not None:  # e.g. the bank serial of finance's refund transfer
            tx.save(Unique(key=guard_key, owner=refund.refund_id, created_at=now),
                    condition=Unique.key.does_not_exist())
        if order is not None:
            tx.update(order, actions=[Order.status.set("refunded"),
                                      Order.queue.set(order_queue(order.edition_id, "refunded",
                                                                  order.channel)),
                                      Order.version.add(1)], condition=Order.status == "refunding")
        if reg_id is not None:
            tx.update(Registration(registration_id=reg_id), actions=[
                Registration.payment_status.set("refunded"), Registration.refunded_at.set(now),
                Registration.version.add(1)],
                condition=Registration.payment_status == "refunding")
        tx.save(audit_entry(f"refund#{refund.refund_id}", f"refund.{new}", actor, now, data))
    return _run(build)


def keep_notification(note: ProviderNotification) -> bool:
    """Keep a notification finance must look at; a replay only counts another delivery."""
    try:
        note.save(condition=ProviderNotification.notification_id.does_not_exist())
        return True
    except PutError as exc:
        if not is_condition_failure(exc):
            raise
    ProviderNotification(notification_id=note.notification_id).update(
        actions=[ProviderNotification.deliveries.add(1)])
    return False


def open_notifications(limit: int, token: str | None) -> tuple[list[ProviderNotification], str | None]:
    result = ProviderNotification.by_flag.query("open", scan_index_forward=False, limit=limit,
                                                last_evaluated_key=decode_token(token))
    items = list(result)
    return items, encode_token(result.last_evaluated_key)


def save_line_if_new(line: StatementLine) -> bool:
    try:
        line.save(condition=StatementLine.line_id.does_not_exist())
        return True
    except PutError as exc:
        if is_condition_failure(exc):
            return False
        raise


def batch_get_lines(line_ids: list[str]) -> dict[str, StatementLine]:
    return {line.line_id: line for line in StatementLine.batch_get(line_ids)}


def set_order_fields(order: Order, actions: list[Any], condition: Any = None) -> bool:
    try:
        order.update(actions=actions, condition=condition)
        return True
    except Exception as exc:
        if is_condition_failure(exc):
            return False
        raise
