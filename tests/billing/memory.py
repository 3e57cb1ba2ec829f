"""The billing repository's in-memory twin (Chalice's todo sample: `InMemoryTodoDB` beside
`DynamoDBTodo`): the same methods as `chalicelib.billing.repository.BillingRepository`,
the same conditions (taken from the same state tables) and the same all-or-nothing
transactions, dicts inside, so billing's service rules are tested in milliseconds. It also
holds the registrations billing reads and moves (what registration.queries and
registration.transitions do on DynamoDB). tests/billing/test_repository_contract.py holds
both to the same behaviour; moto proves the real conditions and races."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterable

from chalicelib.billing.repository import REFUND_FIELDS, Order, Payment, ProviderNotification, Refund, StatementLine, line_queue, order_queue, refund_key, refund_queue, refund_serial_key, txn_key
from chalicelib.billing.states import LINE_STATUS, ORDER_STATUS, REFUND_STATUS, LineStatus, NotificationFlag, OrderKind, OrderStatus, RefundStatus
from chalicelib.platform.paging import decode_token, encode_token
from chalicelib.registration.repository import Registration
from chalicelib.registration.states import PAYMENT_STATUS, PaymentStatus, RegistrationStatus

Page = tuple[list[Any], str | None]
Check = Callable[[], bool]
Apply = Callable[[], None]


class _Tx:
    """All or nothing: every condition is checked before anything is written."""

    def __init__(self) -> None:
        self.steps: list[tuple[Check, Apply]] = []

    def add(self, check: Check, apply: Apply) -> None:
        self.steps.append((check, apply))

    def run(self) -> bool:
        if not all(check() for check, _ in self.steps):
            return False
        for _, apply in self.steps:
            apply()
        return True


def _page(items: list[Any], limit: int, token: str | None,
          key: Callable[[Any], tuple[str, str]] | None = None) -> Page:
    """One page, like a DynamoDB query: the token names the last item handed out (by its
    sort `key`), so items that leave the index meanwhile never make the next page skip."""
    after = (decode_token(token) or {}).get("after")
    if after is not None and key is not None:
        items = [i for i in items if key(i) > tuple(after)]
    elif after is not None:
        items = items[int(after):]
    page = items[:limit]
    if len(items) <= limit:
        return page, None
    last = key(page[-1]) if key is not None else int((decode_token(token) or {}).get("after", 0)) + limit
    return page, encode_token({"after": last})


def _by_time(attr: str, id_attr: str) -> Callable[[Any], tuple[str, str]]:
    return lambda item: (getattr(item, attr).isoformat(), getattr(item, id_attr))


class InMemoryBillingRepository:
    def __init__(self) -> None:
        # Items as DynamoDB holds them (serialised: an unknown state or a float amount raises).
        self.orders: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.lines_: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, dict[str, Any]] = {}
        self.regs: dict[str, dict[str, Any]] = {}
        self.guards: dict[str, str] = {}  # guard key -> owner id
        self.mails: dict[str, dict[str, Any]] = {}  # outbox items recorded in a transaction
        self.audit: list[tuple[str, str, str]] = []  # entity, action, actor

    # --- the store ----------------------------------------------------------------------
    @staticmethod
    def _load(table: dict[str, dict[str, Any]], model: Any, key: str | None) -> Any:
        item = table.get(key) if key else None
        return model.from_raw_data(item) if item is not None else None

    def add_registration(self, reg: Registration) -> None:
        """Tests put registrations here (registration's own service writes them in prod)."""
        self.regs[reg.registration_id] = reg.serialize()

    def _update(self, table: dict[str, dict[str, Any]], model: Any, key: str,
                change: Callable[[Any], None]) -> Apply:
        def apply() -> None:
            item = model.from_raw_data(table[key])
            change(item)
            table[key] = item.serialize()
        return apply

    def _reg(self, rid: str) -> Registration | None:
        return self._load(self.regs, Registration, rid)  # type: ignore[no-any-return]

    def _order(self, oid: str) -> Order | None:
        return self._load(self.orders, Order, oid)  # type: ignore[no-any-return]

    def _guard(self, tx: _Tx, key: str, owner: str) -> None:
        tx.add(lambda: key not in self.guards, lambda: self.guards.__setitem__(key, owner))

    def _insert(self, tx: _Tx, table: dict[str, dict[str, Any]], key: str, item: Any) -> None:
        data = item.serialize()
        tx.add(lambda: key not in table, lambda: table.__setitem__(key, data))

    def _audit(self, tx: _Tx, entity: str, action: str, actor: str) -> None:
        tx.add(lambda: True, lambda: self.audit.append((entity, action, actor)))

    # --- reads: billing's own items ------------------------------------------------------
    def get_order(self, order_id: str) -> Order | None:
        return self._order(order_id)

    def get_payment(self, payment_id: str) -> Payment | None:
        return self._load(self.payments, Payment, payment_id)  # type: ignore[no-any-return]

    def get_refund(self, refund_id: str) -> Refund | None:
        return self._load(self.refunds, Refund, refund_id)  # type: ignore[no-any-return]

    def get_line(self, line_id: str) -> StatementLine | None:
        return self._load(self.lines_, StatementLine, line_id)  # type: ignore[no-any-return]

    def lines(self, line_ids: list[str]) -> dict[str, StatementLine]:
        found = (self.get_line(i) for i in line_ids)
        return {line.line_id: line for line in found if line is not None}

    def order_with_registration(self, order_id: str, registration_id: str) -> tuple[Order | None, Any]:
        return self._order(order_id), self._reg(registration_id)

    def payment_of_txn(self, channel: str, txn_id: str) -> str | None:
        return self.guards.get(txn_key(channel, txn_id))

    def payments_of_txns(self, channel: str, txn_ids: list[str]) -> dict[str, str]:
        found = {t: self.guards.get(txn_key(channel, t)) for t in txn_ids}
        return {t: owner for t, owner in found.items() if owner is not None}

    def refund_of(self, payment_id: str, registration_id: str | None) -> str | None:
        return self.guards.get(refund_key(payment_id, registration_id))

    def _all_orders(self) -> list[Order]:
        return sorted((Order.from_raw_data(i) for i in self.orders.values()),
                      key=lambda o: (o.created_at, o.order_id))

    def orders_of_owner(self, owner_sub: str) -> list[Order]:
        return [o for o in reversed(self._all_orders()) if o.owner_sub == owner_sub]

    def orders_in_queue(self, edition_id: str, status: str, channel: str) -> list[Order]:
        queue = order_queue(edition_id, status, channel)
        return [o for o in self._all_orders() if o.queue == queue]

    def page_orders(self, edition_id: str, status: str, channel: str, limit: int,
                    token: str | None) -> Page:
        return _page(self.orders_in_queue(edition_id, status, channel), limit, token,
                     _by_time("created_at", "order_id"))

    def page_overdue_transfers(self, edition_id: str, channel: str, now: datetime, limit: int,
                               token: str | None, *, unreminded: bool = False) -> Page:
        # DynamoDB filters after reading the page: a page may hold fewer than `limit`.
        items, next_token = self.page_orders(edition_id, OrderStatus.OPEN, channel, limit, token)
        return [o for o in items if o.review_due_at is not None and o.review_due_at <= now
                and not (unreminded and o.overdue_reminded_at is not None)], next_token

    def paid_orders_between(self, edition_id: str, channel: str, lo: datetime, hi: datetime,
                            limit: int, token: str | None) -> Page:
        items, next_token = self.page_orders(edition_id, OrderStatus.PAID, channel, limit, token)
        return [o for o in items if o.paid_at is not None and lo <= o.paid_at <= hi], next_token

    def payments_of_order(self, order_id: str) -> list[Payment]:
        return sorted((p for p in (Payment.from_raw_data(i) for i in self.payments.values())
                       if p.order_id == order_id), key=lambda p: p.received_at)

    def _all_refunds(self) -> list[Refund]:
        return sorted((Refund.from_raw_data(i) for i in self.refunds.values()),
                      key=lambda r: (r.requested_at, r.refund_id))

    def refunds_of_order(self, order_id: str) -> list[Refund]:
        return [r for r in self._all_refunds() if r.order_id == order_id]

    def page_refunds(self, edition_id: str, status: str, limit: int, token: str | None) -> Page:
        queue = refund_queue(edition_id, status)
        return _page([r for r in self._all_refunds() if r.queue == queue], limit, token,
                     _by_time("requested_at", "refund_id"))

    def page_open_notifications(self, limit: int, token: str | None) -> Page:
        notes = [ProviderNotification.from_raw_data(i) for i in self.notes.values()]
        open_ = sorted((n for n in notes if n.flag == NotificationFlag.OPEN.value),
                       key=lambda n: n.received_at, reverse=True)
        return _page(open_, limit, token)

    # --- reads: registrations ------------------------------------------------------------
    def registration(self, registration_id: str) -> Registration | None:
        return self._reg(registration_id)

    def registrations(self, registration_ids: Iterable[str], consistent: bool = False) -> list[Any]:
        return [r for r in (self._reg(i) for i in dict.fromkeys(registration_ids)) if r]

    def _all_regs(self) -> list[Registration]:
        return sorted((Registration.from_raw_data(i) for i in self.regs.values()),
                      key=lambda r: (r.submitted_at, r.registration_id))

    def registrations_of_user(self, user_sub: str) -> list[Any]:
        return [r for r in reversed(self._all_regs()) if r.user_sub == user_sub]

    def registrations_by_email(self, edition_id: str, email: str) -> list[Any]:
        return [r for r in self._all_regs() if r.edition_email == f"{edition_id}#{email}"]

    def page_registrations(self, edition_id: str, status: str, limit: int,
                           token: str | None) -> Page:
        regs = [r for r in self._all_regs() if r.edition_status == f"{edition_id}#{status}"]
        return _page(regs, limit, token, _by_time("submitted_at", "registration_id"))

    # --- registration moves (registration.transitions) ------------------------------------
    def _reg_move(self, tx: _Tx, rid: str, check: Callable[[Registration], bool],
                  change: Callable[[Registration], None]) -> None:
        def ok() -> bool:
            reg = self._reg(rid)
            return reg is not None and check(reg)

        def apply() -> None:
            self._update(self.regs, Registration, rid, change)()
        tx.add(ok, apply)

    @staticmethod
    def _payable(reg: Registration) -> bool:
        return reg.status == RegistrationStatus.APPROVED.value and \
            reg.payment_status in PAYMENT_STATUS.sources(PaymentStatus.PAID)

    def _attach(self, tx: _Tx, rid: str, order: Order) -> None:
        """As registration.transitions.attach_open_order: a group order only while the
        registration is linked to its unit account."""
        unit_id = order.owner_sub if order.kind == OrderKind.GROUP.value else None

        def change(r: Registration) -> None:
            r.open_order_id = order.order_id
        self._reg_move(tx, rid, lambda r: self._payable(r) and not r.open_order_id
                       and (unit_id is None or r.unit_id == unit_id), change)

    def _release(self, tx: _Tx, rid: str, order_id: str) -> None:
        def change(r: Registration) -> None:
            r.open_order_id = None
        self._reg_move(tx, rid, lambda r: r.open_order_id == order_id, change)

    def _mark_paid(self, tx: _Tx, rid: str, order_id: str, now: datetime,
                   check: Callable[[Registration], bool]) -> None:
        def change(r: Registration) -> None:
            r.payment_status, r.paid_order_id, r.paid_at = PaymentStatus.PAID.value, order_id, now
            r.open_order_id = None
        self._reg_move(tx, rid, check, change)

    # --- orders ---------------------------------------------------------------------------
    def _order_move(self, tx: _Tx, order: Order, check: Callable[[Order], bool],
                    change: Callable[[Order], None]) -> None:
        def ok() -> bool:
            current = self._order(order.order_id)
            return current is not None and check(current)
        tx.add(ok, self._update(self.orders, Order, order.order_id, change))

    @staticmethod
    def _to(status: OrderStatus) -> Callable[[Order], None]:
        def change(o: Order) -> None:
            o.status = status.value
            o.queue = order_queue(o.edition_id, status, o.channel)
        return change

    def _close(self, tx: _Tx, order: Order, expected: list[str], now: datetime,
               reason: str) -> None:
        def change(o: Order) -> None:
            self._to(OrderStatus.CLOSED)(o)
            o.closed_at, o.close_reason, o.version = now, reason, (o.version or 1) + 1
        self._order_move(tx, order, lambda o: o.status in expected, change)

    def create_order(self, order: Order, registration_ids: list[str], actor: str,
                     now: datetime) -> bool:
        tx = _Tx()
        self._insert(tx, self.orders, order.order_id, order)
        for rid in registration_ids:
            self._attach(tx, rid, order)
        self._audit(tx, f"order#{order.order_id}", "order.created", actor)
        return tx.run()

    def reserve_members(self, order: Order, registration_ids: list[str]) -> bool:
        tx = _Tx()
        tx.add(lambda: (o := self._order(order.order_id)) is not None
               and o.status in ORDER_STATUS.sources(OrderStatus.OPEN), lambda: None)
        for rid in registration_ids:
            self._attach(tx, rid, order)
        return tx.run()

    def open_reserved(self, order: Order, actor: str, now: datetime) -> bool:
        tx = _Tx()
        self._order_move(tx, order, lambda o: o.status in ORDER_STATUS.sources(OrderStatus.OPEN),
                         self._to(OrderStatus.OPEN))
        self._audit(tx, f"order#{order.order_id}", "order.opened", actor)
        return tx.run()

    def close_order(self, order: Order, actor: str, now: datetime, reason: str,
                    registration_ids: Iterable[str]) -> bool:
        if not ORDER_STATUS.can_move(order.status, OrderStatus.CLOSED):
            return False
        tx = _Tx()
        self._close(tx, order, [order.status], now, reason)
        for rid in registration_ids:
            self._release(tx, rid, order.order_id)
        self._audit(tx, f"order#{order.order_id}", "order.closed", actor)
        return tx.run()

    def release_registrations(self, order: Order, registration_ids: list[str]) -> int:
        freed = 0
        for rid in registration_ids:
            tx = _Tx()
            self._release(tx, rid, order.order_id)
            freed += tx.run()
        return freed

    def release_member(self, order: Order, registration_id: str, new_amount: int, actor: str,
                       now: datetime) -> bool:
        remaining = [r for r in order.registration_ids if r != registration_id]

        def change(o: Order) -> None:
            o.registration_ids, o.amount_fen, o.version = remaining, new_amount, (o.version or 1) + 1
        tx = _Tx()
        self._order_move(tx, order, lambda o: o.status == OrderStatus.OPEN.value
                         and o.version == order.version, change)
        self._release(tx, registration_id, order.order_id)
        self._audit(tx, f"order#{order.order_id}", "order.member_released", actor)
        return tx.run()

    def set_pay_link(self, order: Order, link: dict[str, str]) -> None:
        self._update(self.orders, Order, order.order_id, lambda o: setattr(o, "pay_link", link))()

    def set_upload(self, order: Order, kind: str, key: str) -> None:
        field = "voucher_key" if kind == "voucher" else "member_list_key"
        self._update(self.orders, Order, order.order_id, lambda o: setattr(o, field, key))()

    def mark_overdue_reminded(self, order: Order, now: datetime) -> bool:
        tx = _Tx()
        self._order_move(tx, order, lambda o: o.overdue_reminded_at is None
                         and o.status == OrderStatus.OPEN.value,
                         lambda o: setattr(o, "overdue_reminded_at", now))
        return tx.run()

    # --- payments -------------------------------------------------------------------------
    def _use_line(self, tx: _Tx, line: StatementLine, order_id: str, payment_id: str) -> None:
        def ok() -> bool:
            current = self.get_line(line.line_id)
            return current is not None and current.status in LINE_STATUS.sources(LineStatus.USED)

        def change(s: StatementLine) -> None:
            s.status, s.order_id, s.payment_id = LineStatus.USED.value, order_id, payment_id
            s.edition_status = line_queue(s.edition_id, LineStatus.USED)
        tx.add(ok, self._update(self.lines_, StatementLine, line.line_id, change))

    def credit_payment(self, order: Order, payment: Payment, registration_id: str | None,
                       held_by: str | None, other_order: Order | None,
                       line: StatementLine | None, actor: str, now: datetime,
                       mail: Any = None) -> bool:
        tx = _Tx()
        if mail is not None:  # the outbox item, recorded once with the change
            self._insert(tx, self.mails, mail.mail_id, mail)
        self._guard(tx, txn_key(payment.channel, payment.provider_txn_id), payment.payment_id)
        self._insert(tx, self.payments, payment.payment_id, payment)
        members = len(order.registration_ids)

        def paid(o: Order) -> None:
            self._to(OrderStatus.PAID)(o)
            o.paid_at, o.payment_id, o.version = now, payment.payment_id, (o.version or 1) + 1
            if registration_id is None:
                o.members_pending = members
        if registration_id is None:
            self._order_move(tx, order, lambda o: o.status == OrderStatus.OPEN.value, paid)
        else:
            self._order_move(tx, order, lambda o: o.status in ORDER_STATUS.sources(OrderStatus.PAID),
                             paid)
            if other_order is not None:
                self._close(tx, other_order, [OrderStatus.OPEN.value], now, "paid_by_other_order")
            self._mark_paid(tx, registration_id, order.order_id, now,
                            lambda r: self._payable(r) and (r.open_order_id or None) == held_by)
        if line is not None:
            self._use_line(tx, line, order.order_id, payment.payment_id)
        self._audit(tx, f"order#{order.order_id}", "order.paid", actor)
        return tx.run()

    def _members_pending(self, tx: _Tx, order: Order, n: int) -> None:
        def change(o: Order) -> None:
            o.members_pending = int(o.members_pending or 0) - n
        self._order_move(tx, order, lambda o: int(o.members_pending or 0) >= n, change)

    def _group_member_paid(self, tx: _Tx, rid: str, order: Order, now: datetime) -> None:
        self._mark_paid(tx, rid, order.order_id, now, lambda r: r.open_order_id == order.order_id
                        and r.payment_status in PAYMENT_STATUS.sources(PaymentStatus.PAID))

    def mark_members_paid(self, order: Order, registration_ids: list[str], actor: str,
                          now: datetime) -> bool:
        tx = _Tx()
        for rid in registration_ids:
            self._group_member_paid(tx, rid, order, now)
        self._members_pending(tx, order, len(registration_ids))
        self._audit(tx, f"order#{order.order_id}", "order.members_paid", actor)
        return tx.run()

    def mark_member_paid(self, order: Order, registration_id: str, actor: str,
                         now: datetime) -> bool:
        tx = _Tx()
        self._group_member_paid(tx, registration_id, order, now)
        self._members_pending(tx, order, 1)
        self._audit(tx, f"registration#{registration_id}", "registration.paid", actor)
        return tx.run()

    def record_payment_to_refund(self, payment: Payment, refund: Refund,
                                 line: StatementLine | None, actor: str, now: datetime) -> bool:
        tx = _Tx()
        self._guard(tx, txn_key(payment.channel, payment.provider_txn_id), payment.payment_id)
        self._insert(tx, self.payments, payment.payment_id, payment)
        self._guard(tx, refund_key(payment.payment_id, refund.registration_id), refund.refund_id)
        self._insert(tx, self.refunds, refund.refund_id, refund)
        if line is not None:
            self._use_line(tx, line, payment.order_id, payment.payment_id)
        self._audit(tx, f"order#{payment.order_id}", f"payment.{payment.disposition}", actor)
        return tx.run()

    # --- refunds --------------------------------------------------------------------------
    def create_refund(self, refund: Refund, order: Order | None, registration_id: str | None,
                      actor: str, now: datetime) -> bool:
        tx = _Tx()
        self._guard(tx, refund_key(refund.payment_id, refund.registration_id), refund.refund_id)
        self._insert(tx, self.refunds, refund.refund_id, refund)
        if order is not None:
            self._order_move(tx, order, lambda o: o.status in ORDER_STATUS.sources(
                OrderStatus.REFUNDING), self._to(OrderStatus.REFUNDING))
        if registration_id is not None:
            def refunding(r: Registration) -> None:
                r.payment_status = PaymentStatus.REFUNDING.value
            self._reg_move(tx, registration_id, lambda r: r.payment_status in PAYMENT_STATUS.sources(
                PaymentStatus.REFUNDING) and r.paid_order_id == refund.order_id, refunding)
        self._audit(tx, f"order#{refund.order_id}", "refund.requested", actor)
        return tx.run()

    def move_refund(self, refund: Refund, new: RefundStatus, actor: str, now: datetime, *,
                    expected: Iterable[str] | None = None, fields: dict[str, Any] | None = None,
                    order: Order | None = None, registration_id: str | None = None,
                    data: dict[str, Any] | None = None, guard_serial: str | None = None) -> bool:
        sources = REFUND_STATUS.sources(new)
        expect = list(sources if expected is None else expected)
        if not expect or not set(expect) <= set(sources):
            raise ValueError(f"refund.status: cannot move {expect} -> {new}")
        if set(fields or {}) - set(REFUND_FIELDS):
            raise ValueError("refund: not a field a move records")

        def change(r: Refund) -> None:
            r.status, r.queue = new.value, refund_queue(r.edition_id, new)
            r.version = (r.version or 1) + 1
            for k, v in (fields or {}).items():
                setattr(r, k, v)
        tx = _Tx()
        tx.add(lambda: (r := self.get_refund(refund.refund_id)) is not None and r.status in expect,
               self._update(self.refunds, Refund, refund.refund_id, change))
        if guard_serial is not None:
            self._guard(tx, refund_serial_key(guard_serial), refund.refund_id)
        if order is not None:
            self._order_move(tx, order, lambda o: o.status in ORDER_STATUS.sources(
                OrderStatus.REFUNDED), self._to(OrderStatus.REFUNDED))
        if registration_id is not None:
            def refunded(r: Registration) -> None:
                r.payment_status, r.refunded_at = PaymentStatus.REFUNDED.value, now
            self._reg_move(tx, registration_id, lambda r: r.payment_status in PAYMENT_STATUS.sources(
                PaymentStatus.REFUNDED), refunded)
        self._audit(tx, f"refund#{refund.refund_id}", f"refund.{new.value}", actor)
        return tx.run()

    # --- notifications and statement lines ---------------------------------------------------
    def keep_notification(self, note: ProviderNotification) -> bool:
        if note.notification_id in self.notes:
            def more(n: ProviderNotification) -> None:
                n.deliveries = int(n.deliveries or 1) + 1
            self._update(self.notes, ProviderNotification, note.notification_id, more)()
            return False
        self.notes[note.notification_id] = note.serialize()
        return True

    def save_line_if_new(self, line: StatementLine) -> bool:
        if line.line_id in self.lines_:
            return False
        self.lines_[line.line_id] = line.serialize()
        return True
