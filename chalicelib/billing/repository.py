"""Orders, payments, refunds, provider notifications we could not credit, and bank
statement lines: the models and `BillingRepository`, the only persistence code of billing.
Every state change is a conditional write in one transaction with its audit entry, its
condition taken from the state tables (states.py: `machine.sources(dst)`); "at most once"
rules hold through guard items (platform/store/uniques.Unique):
  provider-txn#<channel>#<txn id>   one payment per provider transaction / bank serial
  refund#<payment id>#<reg or all>  one refund per payment (and member)
  refund-serial#<bank serial>       one finance refund transfer per bank serial
The registrations billing holds and pays are written through registration.transitions
inside the same transactions, and read through registration.queries.

`InMemoryBillingRepository` (memory_repository.py) has the same methods, for fast tests."""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Iterable

from pynamodb.attributes import BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, GetError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.billing.states import LINE_STATUS, NOTIFICATION_FLAG, ORDER_STATUS, PAYMENT_DISPOSITION, REFUND_STATUS, LineStatus, NotificationFlag, OrderKind, OrderStatus, RefundStatus
from chalicelib.platform.mail import outbox
from chalicelib.platform.store.attributes import FenAttribute, StateAttribute
from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import committed, connection, decode_token, encode_token, is_condition_failure, register, save_if_absent
from chalicelib.platform.store.uniques import Unique
from chalicelib.registration import queries as registrations
from chalicelib.registration import transitions as registration_moves

Page = tuple[list[Any], str | None]


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
    kind = UnicodeAttribute()  # individual | group (states.OrderKind)
    channel = UnicodeAttribute()
    owner_sub = UnicodeAttribute()
    registration_ids: ListAttribute[str] = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    amount_fen = FenAttribute()
    status = StateAttribute(ORDER_STATUS)
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
    pay_link = JSONAttribute(null=True)  # {"product", "pay_url" | "code_url" | "h5_url" | "jsapi_params"}
    # 我已汇款: what the trainee says they sent ({"paid_on", "amount_fen", "claimed_at"}), for
    # finance; never a payment (finance confirms against the statement)
    transfer_claim = JSONAttribute(null=True)
    queue = UnicodeAttribute()
    version = NumberAttribute(default=1)

    by_owner = OrderByOwner()
    by_queue = OrderByQueue()


def order_queue(edition_id: str, status: str, channel: str) -> str:
    """The order's queue key; an unknown status raises (the queue names a state)."""
    return f"{edition_id}#{ORDER_STATUS.states(status).value}#{channel}"


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
    disposition = StateAttribute(PAYMENT_DISPOSITION)
    registration_ids: ListAttribute[str] = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    payer = JSONAttribute(null=True)
    received_at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    edition_disposition = UnicodeAttribute()

    by_order = PaymentByOrder()
    by_edition_disposition = PaymentByEditionDisposition()


def disposition_key(edition_id: str, disposition: str) -> str:
    return f"{edition_id}#{PAYMENT_DISPOSITION.states(disposition).value}"


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
    kind = UnicodeAttribute()  # request | duplicate | unapproved | late (states.RefundKind)
    status = StateAttribute(REFUND_STATUS)
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


def refund_queue(edition_id: str, status: str) -> str:
    return f"{edition_id}#{REFUND_STATUS.states(status).value}"


# What a refund's move may record besides its state.
REFUND_FIELDS = ("provider_refund_id", "bank_serial", "completed_at", "completed_by", "failure")


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
    problem = UnicodeAttribute()  # unknown_order | amount_mismatch | merchant_mismatch | txn_reused | ...
    detail = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)
    received_at = UTCDateTimeAttribute()
    deliveries = NumberAttribute(default=1)
    flag = StateAttribute(NOTIFICATION_FLAG, null=True)

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
    status = StateAttribute(LINE_STATUS)
    order_id = UnicodeAttribute(null=True)
    payment_id = UnicodeAttribute(null=True)
    imported_at = UTCDateTimeAttribute()
    imported_by = UnicodeAttribute()
    edition_status = UnicodeAttribute()

    by_edition_status = LineByEditionStatus()


def line_queue(edition_id: str, status: str) -> str:
    return f"{edition_id}#{LINE_STATUS.states(status).value}"


# --- guard keys -----------------------------------------------------------------------------
def txn_key(channel: str, txn_id: str) -> str:
    return f"provider-txn#{channel}#{txn_id}"


def refund_key(payment_id: str, registration_id: str | None) -> str:
    return f"refund#{payment_id}#{registration_id or 'all'}"


def refund_serial_key(bank_serial: str) -> str:
    return f"refund-serial#{bank_serial}"


# --- helpers ----------------------------------------------------------------------------------
def _get(model: Any, key: str) -> Any:
    try:
        return model.get(key, consistent_read=True)
    except DoesNotExist:
        return None


def _page(result: Any) -> Page:
    items = list(result)
    return items, encode_token(result.last_evaluated_key)


def _closing(order: Order, now: datetime, reason: str) -> list[Any]:
    return [Order.status.set(OrderStatus.CLOSED.value), Order.closed_at.set(now),
            Order.close_reason.set(reason),
            Order.queue.set(order_queue(order.edition_id, OrderStatus.CLOSED, order.channel)),
            Order.version.add(1)]


def _moving(order: Order, status: OrderStatus) -> list[Any]:
    return [Order.status.set(status.value),
            Order.queue.set(order_queue(order.edition_id, status, order.channel))]


def _expects(status: OrderStatus) -> Any:
    """The condition of a move of an order to `status`: it is in a state that may move so."""
    return Order.status.is_in(*ORDER_STATUS.sources(status))


def _use_line(tx: Any, line: StatementLine, order_id: str, payment_id: str) -> None:
    tx.update(line, actions=[StatementLine.status.set(LineStatus.USED.value),
                             StatementLine.order_id.set(order_id),
                             StatementLine.payment_id.set(payment_id),
                             StatementLine.edition_status.set(line_queue(line.edition_id,
                                                                         LineStatus.USED))],
              condition=StatementLine.status.is_in(*LINE_STATUS.sources(LineStatus.USED)))


def _guard(tx: Any, key: str, owner: str, now: datetime) -> None:
    tx.save(Unique(key=key, owner=owner, created_at=now), condition=Unique.key.does_not_exist())


def _group_unit(order: Order) -> str | None:
    """A group order reserves only registrations linked to its unit account."""
    return str(order.owner_sub) if order.kind == OrderKind.GROUP.value else None


class BillingRepository:
    """DynamoDB (moto locally and in tests)."""

    # --- reads: billing's own items ----------------------------------------------------------
    def get_order(self, order_id: str) -> Order | None:
        return _get(Order, order_id)  # type: ignore[no-any-return]

    def get_payment(self, payment_id: str) -> Payment | None:
        return _get(Payment, payment_id)  # type: ignore[no-any-return]

    def get_refund(self, refund_id: str) -> Refund | None:
        return _get(Refund, refund_id)  # type: ignore[no-any-return]

    def get_line(self, line_id: str) -> StatementLine | None:
        return _get(StatementLine, line_id)  # type: ignore[no-any-return]

    def lines(self, line_ids: list[str]) -> dict[str, StatementLine]:
        return {line.line_id: line for line in StatementLine.batch_get(line_ids)} if line_ids else {}

    def order_with_registration(self, order_id: str, registration_id: str) -> tuple[Order | None, Any]:
        """The order and a registration in ONE consistent BatchGetItem over both tables (the
        webhook, when the notice names the registration): (order or None, registration or
        None). The caller checks that the order names that registration."""
        reg_model = registrations.Registration
        request = {model.Meta.table_name: {
            "Keys": [{model._hash_key_attribute().attr_name: {"S": key}}], "ConsistentRead": True}
            for model, key in ((Order, order_id), (reg_model, registration_id))}
        found: dict[str, dict[str, Any]] = {}
        for attempt in range(5):  # UnprocessedKeys (throttling) are asked for again
            try:
                answer = connection().dispatch("BatchGetItem", {"RequestItems": request})
            except Exception as exc:
                raise GetError(f"Failed to batch get order and registration: {exc}", exc) from exc
            for table, items in (answer.get("Responses") or {}).items():
                for item in items:
                    found[table] = item
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(0.02 * 2 ** attempt)
        else:
            raise GetError("Failed to batch get order and registration: keys left unprocessed")
        order_raw, reg_raw = found.get(Order.Meta.table_name), found.get(reg_model.Meta.table_name)
        return (None if order_raw is None else Order.from_raw_data(order_raw),
                None if reg_raw is None else reg_model.from_raw_data(reg_raw))

    def payment_of_txn(self, channel: str, txn_id: str) -> str | None:
        """The id of the payment that took this provider transaction (or bank serial)."""
        item = _get(Unique, txn_key(channel, txn_id))
        return None if item is None else str(item.owner)

    def payments_of_txns(self, channel: str, txn_ids: list[str]) -> dict[str, str]:
        """{txn id (or bank serial): id of the payment that took it}, for those taken."""
        keys = {txn_key(channel, t): t for t in dict.fromkeys(txn_ids)}
        return {keys[item.key]: str(item.owner) for item in Unique.batch_get(list(keys))} if keys else {}

    def refund_of(self, payment_id: str, registration_id: str | None) -> str | None:
        """The id of the refund of this payment (for this member), if one was recorded."""
        item = _get(Unique, refund_key(payment_id, registration_id))
        return None if item is None else str(item.owner)

    def orders_of_owner(self, owner_sub: str) -> list[Order]:
        return list(Order.by_owner.query(owner_sub, scan_index_forward=False))

    def orders_in_queue(self, edition_id: str, status: str, channel: str) -> list[Order]:
        return list(Order.by_queue.query(order_queue(edition_id, status, channel)))

    def page_orders(self, edition_id: str, status: str, channel: str, limit: int,
                    token: str | None) -> Page:
        return _page(Order.by_queue.query(order_queue(edition_id, status, channel), limit=limit,
                                          last_evaluated_key=decode_token(token)))

    def page_overdue_transfers(self, edition_id: str, channel: str, now: datetime, limit: int,
                               token: str | None, *, unreminded: bool = False) -> Page:
        """Open orders of `channel` whose review date has passed (`unreminded`: and finance
        was not reminded of them yet). A page may hold fewer than `limit` (a filter)."""
        overdue = Order.review_due_at <= now
        if unreminded:
            overdue &= Order.overdue_reminded_at.does_not_exist()
        return _page(Order.by_queue.query(order_queue(edition_id, OrderStatus.OPEN, channel),
                                          limit=limit, last_evaluated_key=decode_token(token),
                                          filter_condition=overdue))

    def paid_orders_between(self, edition_id: str, channel: str, lo: datetime, hi: datetime,
                            limit: int, token: str | None) -> Page:
        return _page(Order.by_queue.query(order_queue(edition_id, OrderStatus.PAID, channel),
                                          limit=limit, last_evaluated_key=decode_token(token),
                                          filter_condition=Order.paid_at.between(lo, hi)))

    def payments_of_order(self, order_id: str) -> list[Payment]:
        return list(Payment.by_order.query(order_id))

    def refunds_of_order(self, order_id: str) -> list[Refund]:
        return list(Refund.by_order.query(order_id))

    def page_refunds(self, edition_id: str, status: str, limit: int, token: str | None) -> Page:
        return _page(Refund.by_queue.query(refund_queue(edition_id, status), limit=limit,
                                           last_evaluated_key=decode_token(token)))

    def page_open_notifications(self, limit: int, token: str | None) -> Page:
        return _page(ProviderNotification.by_flag.query(
            NotificationFlag.OPEN.value, scan_index_forward=False, limit=limit,
            last_evaluated_key=decode_token(token)))

    # --- reads: the registrations billing holds (registration.queries) ---------------------
    def registration(self, registration_id: str) -> Any:
        return registrations.get_registration(registration_id)

    def registrations(self, registration_ids: Iterable[str], consistent: bool = False) -> list[Any]:
        ids = list(registration_ids)
        return registrations.get_registrations(ids, consistent_read=consistent) if ids else []

    def registrations_of_user(self, user_sub: str) -> list[Any]:
        return registrations.registrations_of_user(user_sub)

    def registrations_by_email(self, edition_id: str, email: str) -> list[Any]:
        return registrations.by_email(edition_id, email)

    def page_registrations(self, edition_id: str, status: str, limit: int,
                           token: str | None) -> Page:
        return registrations.page_by_status(edition_id, status, limit, token)

    # --- orders ---------------------------------------------------------------------------
    def create_order(self, order: Order, registration_ids: list[str], actor: str,
                     now: datetime) -> bool:
        """Insert the order and reserve each registration (open_order_id) atomically: every
        member must still be approved, unpaid and in no other open order."""
        def build(tx: Any) -> None:
            tx.save(order, condition=Order.order_id.does_not_exist())
            for rid in registration_ids:
                registration_moves.attach_open_order(tx, rid, order.order_id, _group_unit(order))
            tx.save(audit_entry(f"order#{order.order_id}", "order.created", actor, now,
                                {"channel": order.channel, "amount_fen": order.amount_fen,
                                 "registrations": list(order.registration_ids)}))
        return committed(build)

    def reserve_members(self, order: Order, registration_ids: list[str]) -> bool:
        """Reserve one more chunk of a large group order (still `reserving`)."""
        def build(tx: Any) -> None:
            tx.condition_check(Order, order.order_id, condition=_expects(OrderStatus.OPEN))
            for rid in registration_ids:
                registration_moves.attach_open_order(tx, rid, order.order_id, _group_unit(order))
        return committed(build)

    def open_reserved(self, order: Order, actor: str, now: datetime) -> bool:
        """reserving -> open, once every member is reserved."""
        def build(tx: Any) -> None:
            tx.update(order, actions=_moving(order, OrderStatus.OPEN),
                      condition=_expects(OrderStatus.OPEN))
            tx.save(audit_entry(f"order#{order.order_id}", "order.opened", actor, now,
                                {"members": len(order.registration_ids)}))
        return committed(build)

    def close_order(self, order: Order, actor: str, now: datetime, reason: str,
                    registration_ids: Iterable[str]) -> bool:
        """`order` (as read: open or reserving) -> closed, releasing the registrations given
        (at most ~95 per call: a large group is closed first and released with
        `release_registrations`). False when it is no longer in the state it was read in."""
        if not ORDER_STATUS.can_move(order.status, OrderStatus.CLOSED):
            return False

        def build(tx: Any) -> None:
            tx.update(order, actions=_closing(order, now, reason),
                      condition=Order.status == order.status)
            for rid in registration_ids:
                registration_moves.release_open_order(tx, rid, order.order_id)
            tx.save(audit_entry(f"order#{order.order_id}", "order.closed", actor, now,
                                {"reason": reason}))
        return committed(build)

    def release_registrations(self, order: Order, registration_ids: list[str]) -> int:
        """Free the registrations still pointing at `order` (one conditional write each)."""
        return sum(registration_moves.release_open_order_alone(rid, order.order_id)
                   for rid in registration_ids)

    def release_member(self, order: Order, registration_id: str, new_amount: int, actor: str,
                       now: datetime) -> bool:
        """A member leaves an unpaid group order (unchanged since it was read)."""
        remaining = [r for r in order.registration_ids if r != registration_id]

        def build(tx: Any) -> None:
            tx.update(order, actions=[Order.registration_ids.set(remaining),
                                      Order.amount_fen.set(new_amount), Order.version.add(1)],
                      condition=(Order.status == OrderStatus.OPEN.value)
                      & (Order.version == order.version))
            registration_moves.release_open_order(tx, registration_id, order.order_id)
            tx.save(audit_entry(f"order#{order.order_id}", "order.member_released", actor, now,
                                {"registration_id": registration_id, "amount_fen": new_amount}))
        return committed(build)

    def set_pay_link(self, order: Order, link: dict[str, str]) -> None:
        order.update(actions=[Order.pay_link.set(link)])

    def set_upload(self, order: Order, kind: str, key: str) -> None:
        """Record the object key of a group's `voucher` or `member_list`."""
        field = Order.voucher_key if kind == "voucher" else Order.member_list_key
        order.update(actions=[field.set(key)])

    def set_transfer_claim(self, order: Order, claim: dict[str, Any]) -> bool:
        """The trainee's 我已汇款 on a still open order; False once it moved on."""
        try:
            order.update(actions=[Order.transfer_claim.set(claim)],
                         condition=Order.status == OrderStatus.OPEN.value)
        except Exception as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def mark_overdue_reminded(self, order: Order, now: datetime) -> bool:
        """Once per order, while it is still open; False when already reminded or moved."""
        try:
            order.update(actions=[Order.overdue_reminded_at.set(now)],
                         condition=Order.overdue_reminded_at.does_not_exist()
                         & (Order.status == OrderStatus.OPEN.value))
        except Exception as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    # --- payments -------------------------------------------------------------------------
    def credit_payment(self, order: Order, payment: Payment, registration_id: str | None,
                       held_by: str | None, other_order: Order | None,
                       line: StatementLine | None, actor: str, now: datetime,
                       mail: Any = None) -> bool:
        """The money credits `order`: the payment (unique per provider transaction), the order
        -> paid and, for an individual order, its registration -> paid (held by `held_by`,
        or by no order), closing `other_order` that held it, in one transaction. A group's
        members are marked paid afterwards in resumable batches (`mark_members_paid`).
        `mail`: the confirmation's outbox item (outbox.prepare_mail), recorded with it."""
        def build(tx: Any) -> None:
            if mail is not None:
                outbox.record_in(tx, mail)
            _guard(tx, txn_key(payment.channel, payment.provider_txn_id), payment.payment_id, now)
            tx.save(payment, condition=Payment.payment_id.does_not_exist())
            actions = [*_moving(order, OrderStatus.PAID), Order.paid_at.set(now),
                       Order.payment_id.set(payment.payment_id), Order.version.add(1)]
            if registration_id is None:  # a group: only while open (its members are held)
                actions.append(Order.members_pending.set(len(order.registration_ids)))
                tx.update(order, actions=actions, condition=Order.status == OrderStatus.OPEN.value)
            else:
                tx.update(order, actions=actions, condition=_expects(OrderStatus.PAID))
                if other_order is not None:
                    tx.update(other_order,
                              actions=_closing(other_order, now, "paid_by_other_order"),
                              condition=Order.status == OrderStatus.OPEN.value)
                registration_moves.mark_paid(tx, registration_id, order.order_id, held_by, now)
            if line is not None:
                _use_line(tx, line, order.order_id, payment.payment_id)
            tx.save(audit_entry(f"order#{order.order_id}", "order.paid", actor, now,
                                {"payment_id": payment.payment_id, "channel": payment.channel,
                                 "txn": payment.provider_txn_id, "amount_fen": payment.amount_fen}))
        return committed(build)

    def mark_members_paid(self, order: Order, registration_ids: list[str], actor: str,
                          now: datetime) -> bool:
        """Several members of a paid group order -> paid in one transaction (all or none)."""
        def build(tx: Any) -> None:
            for rid in registration_ids:
                registration_moves.mark_paid_by_group(tx, rid, order.order_id, now)
            tx.update(order, actions=[Order.members_pending.add(-len(registration_ids))],
                      condition=Order.members_pending >= len(registration_ids))
            tx.save(audit_entry(f"order#{order.order_id}", "order.members_paid", actor, now,
                                {"registration_ids": registration_ids}))
        return committed(build)

    def mark_member_paid(self, order: Order, registration_id: str, actor: str,
                         now: datetime) -> bool:
        """One member of a paid group order -> paid (conditional: a repeat changes nothing)."""
        def build(tx: Any) -> None:
            registration_moves.mark_paid_by_group(tx, registration_id, order.order_id, now)
            tx.update(order, actions=[Order.members_pending.add(-1)],
                      condition=Order.members_pending > 0)
            tx.save(audit_entry(f"registration#{registration_id}", "registration.paid", actor,
                                now, {"order_id": order.order_id}))
        return committed(build)

    def record_payment_to_refund(self, payment: Payment, refund: Refund,
                                 line: StatementLine | None, actor: str, now: datetime) -> bool:
        """Money we must send back (duplicate / not approved / late): the payment and its
        refund are recorded together, before any money moves."""
        def build(tx: Any) -> None:
            _guard(tx, txn_key(payment.channel, payment.provider_txn_id), payment.payment_id, now)
            tx.save(payment, condition=Payment.payment_id.does_not_exist())
            _guard(tx, refund_key(payment.payment_id, refund.registration_id), refund.refund_id, now)
            tx.save(refund, condition=Refund.refund_id.does_not_exist())
            if line is not None:
                _use_line(tx, line, payment.order_id, payment.payment_id)
            tx.save(audit_entry(f"order#{payment.order_id}", f"payment.{payment.disposition}",
                                actor, now, {"payment_id": payment.payment_id,
                                             "refund_id": refund.refund_id,
                                             "amount_fen": payment.amount_fen}))
        return committed(build)

    # --- refunds --------------------------------------------------------------------------
    def create_refund(self, refund: Refund, order: Order | None, registration_id: str | None,
                      actor: str, now: datetime) -> bool:
        """A refund of a credited payment (the trainee's request, or an automatic one for a
        registration that is not approved): recorded before money moves; `order` (an
        individual one) -> refunding and the registration leaves `paid` at once."""
        def build(tx: Any) -> None:
            _guard(tx, refund_key(refund.payment_id, refund.registration_id), refund.refund_id, now)
            tx.save(refund, condition=Refund.refund_id.does_not_exist())
            if order is not None:
                tx.update(order, actions=[*_moving(order, OrderStatus.REFUNDING),
                                          Order.version.add(1)],
                          condition=_expects(OrderStatus.REFUNDING))
            if registration_id is not None:
                registration_moves.mark_refunding(tx, registration_id, refund.order_id)
            tx.save(audit_entry(f"order#{refund.order_id}", "refund.requested", actor, now,
                                {"refund_id": refund.refund_id, "kind": refund.kind,
                                 "amount_fen": refund.amount_fen,
                                 "registration_id": refund.registration_id}))
        return committed(build)

    def move_refund(self, refund: Refund, new: RefundStatus, actor: str, now: datetime, *,
                    expected: Iterable[str] | None = None, fields: dict[str, Any] | None = None,
                    order: Order | None = None, registration_id: str | None = None,
                    data: dict[str, Any] | None = None, guard_serial: str | None = None) -> bool:
        """Refund -> `new` from `expected` (default: every state the table lets move there),
        recording `fields` (REFUND_FIELDS); when done, `order` -> refunded and the
        registration -> refunded in the same transaction. `guard_serial`: the bank serial of
        finance's refund transfer, used at most once."""
        sources = REFUND_STATUS.sources(new)
        expect = list(sources if expected is None else expected)
        if not expect or not set(expect) <= set(sources):
            raise ValueError(f"refund.status: cannot move {expect} -> {new}")
        unknown = set(fields or {}) - set(REFUND_FIELDS)
        if unknown:
            raise ValueError(f"refund: not a field a move records: {sorted(unknown)}")

        def build(tx: Any) -> None:
            actions = [Refund.status.set(new.value),
                       Refund.queue.set(refund_queue(refund.edition_id, new)),
                       Refund.version.add(1),
                       *(getattr(Refund, k).set(v) for k, v in (fields or {}).items())]
            tx.update(refund, actions=actions, condition=Refund.status.is_in(*expect))
            if guard_serial is not None:
                _guard(tx, refund_serial_key(guard_serial), refund.refund_id, now)
            if order is not None:
                tx.update(order, actions=[*_moving(order, OrderStatus.REFUNDED),
                                          Order.version.add(1)],
                          condition=_expects(OrderStatus.REFUNDED))
            if registration_id is not None:
                registration_moves.mark_refunded(tx, registration_id, now)
            tx.save(audit_entry(f"refund#{refund.refund_id}", f"refund.{new.value}", actor, now,
                                data))
        return committed(build)

    # --- notifications and statement lines ---------------------------------------------------
    def keep_notification(self, note: ProviderNotification) -> bool:
        """Keep a notification finance must look at; a replay only counts another delivery."""
        if save_if_absent(note, ProviderNotification.notification_id):
            return True
        ProviderNotification(notification_id=note.notification_id).update(
            actions=[ProviderNotification.deliveries.add(1)])
        return False

    def save_line_if_new(self, line: StatementLine) -> bool:
        return save_if_absent(line, StatementLine.line_id)


def repository(deps: Any) -> BillingRepository:
    """The process's billing repository; a fast test installs an InMemoryBillingRepository
    as `deps.extras["billing:repository"]`."""
    return deps.adapter("billing:repository", lambda d: BillingRepository())  # type: ignore[no-any-return]
