"""E-invoices: never deleted, corrected only by a red-letter (negative) invoice.

Numbers are gapless and unique per series: the series counter is read, then incremented
(conditional on the value read) in the SAME transaction that creates the invoice, so an
issue that fails leaves no gap and two issues never share a number (the loser retries with
the next value). "One invoice per order" holds through a guard item `invoice#<order_id>`
created in that transaction and released only by a reversal."""
from __future__ import annotations

from chalicelib.invoicing import rules

import random
import time
from datetime import datetime
from typing import Any, Callable

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.invoicing.errors import AlreadyReversedError, InvoiceExistsError
from chalicelib.invoicing.states import BUYER, IN_FLIGHT, KIND, STATUS, InvoiceKind, InvoiceStatus
from chalicelib.platform.store.attributes import FenAttribute, StateAttribute
from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import decode_token, encode_token, register, retry_lost_races, transaction
from chalicelib.platform.store.uniques import Unique

# Issues racing for one series' next number: each round one of them wins, so this many
# rounds let a burst of that many simultaneous issues all through (then 503 RETRY_LATER).
MAX_ATTEMPTS = 30


class ByOwner(GlobalSecondaryIndex["Invoice"]):
    class Meta:
        index_name = "by_owner"
        projection = AllProjection()

    owner_sub = UnicodeAttribute(hash_key=True)
    issued_at = UTCDateTimeAttribute(range_key=True)


class ByEdition(GlobalSecondaryIndex["Invoice"]):
    """Finance's register of an edition's invoices, by time."""
    class Meta:
        index_name = "by_edition"
        projection = AllProjection()

    edition_id = UnicodeAttribute(hash_key=True)
    issued_at = UTCDateTimeAttribute(range_key=True)


class ByOrder(GlobalSecondaryIndex["Invoice"]):
    class Meta:
        index_name = "by_order"
        projection = AllProjection()

    order_id = UnicodeAttribute(hash_key=True)
    issued_at = UTCDateTimeAttribute(range_key=True)


class ByPending(GlobalSecondaryIndex["Invoice"]):
    """Sparse: the invoices the issuing job still follows (requested, issuing), by edition."""
    class Meta:
        index_name = "by_pending"
        projection = AllProjection()

    pending = UnicodeAttribute(hash_key=True)
    issued_at = UTCDateTimeAttribute(range_key=True)


@register
class InvoiceCounter(Model):
    """The last number handed out in a series."""
    class Meta:
        table_name = "invoice_counters"

    series = UnicodeAttribute(hash_key=True)
    last_no = NumberAttribute(default=0)


@register
class Invoice(Model):
    class Meta:
        table_name = "invoices"

    invoice_id = UnicodeAttribute(hash_key=True)
    invoice_no = UnicodeAttribute()  # <series>-<seq, 6 digits>
    series = UnicodeAttribute()
    seq = NumberAttribute()
    kind = StateAttribute(KIND)
    status = StateAttribute(STATUS)
    order_id = UnicodeAttribute()
    order_kind = UnicodeAttribute()  # individual | group
    edition_id = UnicodeAttribute()
    owner_sub = UnicodeAttribute()
    buyer_type = StateAttribute(BUYER)
    title = UnicodeAttribute()
    credit_code = UnicodeAttribute(null=True)
    item = UnicodeAttribute()
    quantity = NumberAttribute(default=1)
    amount_fen = FenAttribute()  # negative for a red invoice
    official_card = BooleanAttribute(default=False)
    channel = UnicodeAttribute(null=True)
    paid_at = UTCDateTimeAttribute(null=True)
    issued_at = UTCDateTimeAttribute()
    issued_by = UnicodeAttribute()
    reverses_id = UnicodeAttribute(null=True)  # red: the invoice it cancels
    reverses_no = UnicodeAttribute(null=True)
    reversed_by_id = UnicodeAttribute(null=True)  # blue: the red invoice that cancelled it
    reversed_at = UTCDateTimeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    issuer = UnicodeAttribute()
    pdf_key = UnicodeAttribute()
    pdf_ready_at = UTCDateTimeAttribute(null=True)
    external_no = UnicodeAttribute(null=True)  # a tax platform's own number, when one issues
    # The provider's side (诺诺): the orderNo is persisted with the record, before any call.
    order_no = UnicodeAttribute(null=True)
    serial_no = UnicodeAttribute(null=True)  # the provider's 流水号, once accepted
    invoice_number = UnicodeAttribute(null=True)  # the 20-digit 数电票号码, once issued
    provider_issued_at = UTCDateTimeAttribute(null=True)
    submitted_at = UTCDateTimeAttribute(null=True)  # set BEFORE a submit: its outcome may be unknown
    checked_at = UTCDateTimeAttribute(null=True)  # the last look at the provider
    attempts = NumberAttribute(default=0)  # submits and retries made
    fail_reason = UnicodeAttribute(null=True)
    red_reason = UnicodeAttribute(null=True)  # the provider's 冲红原因 code
    reverse_when_issued = UnicodeAttribute(null=True)  # refunded while in flight: reverse once issued
    ofd_key = UnicodeAttribute(null=True)
    xml_key = UnicodeAttribute(null=True)
    pending = UnicodeAttribute(null=True)  # the edition while in flight (by_pending index)

    by_owner = ByOwner()
    by_edition = ByEdition()
    by_order = ByOrder()
    by_pending = ByPending()


def order_guard_key(order_id: str) -> str:
    return f"invoice#{order_id}"


def format_no(series: str, seq: int) -> str:
    return f"{series}-{seq:06d}"


def provider_order_no(prefix: str, series: str, seq: int) -> str:
    """The provider's orderNo (unique per seller, at most 20 characters): LSC2026000001."""
    return f"{prefix}{series}{seq:06d}"[:20]


def number(invoice: Invoice, last: int, prefix: str) -> None:
    invoice.seq = last + 1
    invoice.invoice_no = format_no(invoice.series, last + 1)
    invoice.order_no = provider_order_no(prefix, invoice.series, last + 1)
    invoice.pending = invoice.edition_id if invoice.status in IN_FLIGHT else None


# What a move to each state writes besides the state itself.
MOVE_FIELDS = ("serial_no", "invoice_number", "provider_issued_at", "submitted_at", "checked_at",
               "attempts", "fail_reason", "pdf_key", "ofd_key", "xml_key", "pdf_ready_at",
               "reverse_when_issued")


def apply_reversal(original: Invoice, red: Invoice, reason: str, now: datetime) -> None:
    """What a reversal writes on the original (both repositories apply it after commit)."""
    original.status = InvoiceStatus.REVERSED.value
    original.reversed_by_id = red.invoice_id
    original.reversed_at = now
    original.reason = reason


def _lost_race(exc: TransactWriteError) -> bool:
    """A condition failed (counter moved, guard taken, already reversed) or the transaction
    kept meeting another in flight: nothing was written, look again and retry."""
    reasons = [getattr(r, "code", None) for r in (getattr(exc, "cancellation_reasons", None) or [])]
    return any(r in ("ConditionalCheckFailed", "TransactionConflict") for r in reasons)


def _last_no(series: str) -> int:
    try:
        return int(InvoiceCounter.get(series, consistent_read=True).last_no or 0)
    except DoesNotExist:
        return 0


def _counter_update(tx: Any, series: str, last: int) -> None:
    counter = InvoiceCounter(series=series)
    condition = InvoiceCounter.series.does_not_exist() if last == 0 else \
        InvoiceCounter.last_no == last
    tx.update(counter, actions=[InvoiceCounter.last_no.set(last + 1)], condition=condition)


def _numbered(series: str, write: Callable[[int], None], check_other: Callable[[], None]) -> int:
    """Run `write(seq)` (a transaction including the counter's move to `seq`) until it wins;
    the number it took. After a lost race `check_other` raises when the cause is not the
    counter (the order got its invoice, the original was reversed); otherwise another issue
    took the number and this one retries with the next."""
    def attempt(n: int) -> int | None:
        if n:
            time.sleep(random.uniform(0, 0.005 * n))  # noqa: S311 - jitter, not crypto
        last = _last_no(series)
        try:
            write(last)
        except TransactWriteError as exc:
            if not _lost_race(exc):
                raise
            check_other()
            return None
        return last + 1
    return retry_lost_races(attempt, attempts=MAX_ATTEMPTS)


class InvoiceRepository:
    def get(self, invoice_id: str) -> Invoice | None:
        try:
            return Invoice.get(invoice_id, consistent_read=True)
        except DoesNotExist:
            return None

    def live_invoice_id(self, order_id: str) -> str | None:
        """The order's invoice that is not reversed, if it has one (its guard's owner)."""
        try:
            return str(Unique.get(order_guard_key(order_id), consistent_read=True).owner)
        except DoesNotExist:
            return None

    def issue(self, invoice: Invoice, actor: str, now: datetime,
              order_no_prefix: str = "LSC") -> Invoice:
        """Number and create `invoice` (its provider orderNo with it) and its order guard, in
        one transaction; raises InvoiceExistsError when the order already has a live invoice."""
        def write(last: int) -> None:
            number(invoice, last, order_no_prefix)
            with transaction() as tx:
                _counter_update(tx, invoice.series, last)
                tx.save(Unique(key=order_guard_key(invoice.order_id), owner=invoice.invoice_id,
                               created_at=now), condition=Unique.key.does_not_exist())
                tx.save(invoice, condition=Invoice.invoice_id.does_not_exist())
                tx.save(audit_entry(f"invoice#{invoice.invoice_id}", "invoice.requested", actor, now,
                                    {"invoice_no": invoice.invoice_no, "order_id": invoice.order_id,
                                     "amount_fen": invoice.amount_fen}))

        def exists() -> None:
            owner = self.live_invoice_id(invoice.order_id)
            if owner is not None and owner != invoice.invoice_id:
                raise InvoiceExistsError(invoice_id=owner)
        _numbered(invoice.series, write, exists)
        return invoice

    def reverse(self, original: Invoice, red: Invoice, reason: str, actor: str,
                now: datetime, order_no_prefix: str = "LSC") -> Invoice:
        """Issue the red invoice, mark the original reversed and free the order for a fresh
        invoice, in one transaction (`original` then holds what was written);
        AlreadyReversedError when it was reversed before."""
        def write(last: int) -> None:
            number(red, last, order_no_prefix)
            with transaction() as tx:
                _counter_update(tx, red.series, last)
                tx.update(original, actions=[Invoice.status.set(InvoiceStatus.REVERSED.value),
                                             Invoice.reversed_by_id.set(red.invoice_id),
                                             Invoice.reversed_at.set(now),
                                             Invoice.reason.set(reason)],
                          condition=Invoice.status.is_in(*STATUS.sources(InvoiceStatus.REVERSED))
                          & (Invoice.kind == InvoiceKind.BLUE.value))
                tx.delete(Unique(key=order_guard_key(original.order_id)),
                          condition=Unique.owner == original.invoice_id)
                tx.save(red, condition=Invoice.invoice_id.does_not_exist())
                tx.save(audit_entry(f"invoice#{original.invoice_id}", "invoice.reversed", actor,
                                    now, {"red_invoice_no": red.invoice_no, "reason": reason}))
                tx.save(audit_entry(f"invoice#{red.invoice_id}", "invoice.requested", actor, now,
                                    {"invoice_no": red.invoice_no, "order_id": red.order_id,
                                     "amount_fen": red.amount_fen,
                                     "reverses": original.invoice_no}))

        def reversed_before() -> None:
            current = self.get(original.invoice_id)
            if current is None or current.status not in STATUS.sources(InvoiceStatus.REVERSED):
                raise AlreadyReversedError()
        _numbered(red.series, write, reversed_before)
        apply_reversal(original, red, reason, now)
        return red

    def mark_pdf_ready(self, invoice: Invoice, now: datetime) -> None:
        invoice.update(actions=[Invoice.pdf_ready_at.set(now)])

    def move(self, invoice: Invoice, dst: str | None, actor: str, now: datetime,
             expect: dict[str, Any] | None = None, **fields: Any) -> bool:
        """Write `fields` (and the state `dst`, when given) if the invoice is still in the
        state it was read in (and each `expect` attribute still holds its value); False
        when another caller moved it first (nothing written). `invoice` holds the result."""
        src = str(invoice.status)
        if dst is not None and dst != src:
            STATUS.require(src, dst)
        target = dst or src
        condition = Invoice.status == src
        for name, value in (expect or {}).items():
            attr = getattr(Invoice, name)
            condition &= attr.does_not_exist() if value is None else attr == value
        actions: list[Action] = [Invoice.status.set(target)]
        pending = invoice.edition_id if target in IN_FLIGHT else None
        actions.append(Invoice.pending.set(pending) if pending else Invoice.pending.remove())
        for name, value in fields.items():
            assert name in MOVE_FIELDS, name
            attr = getattr(Invoice, name)
            actions.append(attr.remove() if value is None else attr.set(value))
        try:
            with transaction() as tx:
                tx.update(invoice, actions=actions, condition=condition)
                if dst is not None and dst != src:
                    tx.save(audit_entry(f"invoice#{invoice.invoice_id}", f"invoice.{target}", actor,
                                        now, {"from": src, **{k: str(v) for k, v in fields.items()
                                                              if k in ("invoice_number", "fail_reason",
                                                                       "serial_no")}}))
        except TransactWriteError as exc:
            if _lost_race(exc):
                return False
            raise
        invoice.status = target
        invoice.pending = pending
        for name, value in fields.items():
            setattr(invoice, name, value)
        return True

    def list_in_flight(self, edition_id: str, limit: int, token: str | None
                       ) -> tuple[list[Invoice], str | None]:
        """One page of the edition's invoices the issuing job follows, oldest first."""
        result = Invoice.by_pending.query(edition_id, limit=limit,
                                          last_evaluated_key=decode_token(token))
        items = list(result)
        return items, encode_token(result.last_evaluated_key)

    def list_by_owner(self, owner_sub: str) -> list[Invoice]:
        """An account's invoices, newest first."""
        return list(Invoice.by_owner.query(owner_sub, scan_index_forward=False))

    def list_by_order(self, order_id: str) -> list[Invoice]:
        """Every invoice of an order (blue, red, reversed), oldest first."""
        return list(Invoice.by_order.query(order_id))

    def last_reversal_at(self, order_id: str) -> datetime | None:
        """When the order's latest blue invoice was reversed (None: never)."""
        return rules.last_reversal_at(self.list_by_order(order_id))

    def list_by_edition(self, edition_id: str, limit: int, token: str | None
                        ) -> tuple[list[Invoice], str | None]:
        """One page of an edition's invoices, newest first; the next page's token or None."""
        result = Invoice.by_edition.query(edition_id, scan_index_forward=False, limit=limit,
                                          last_evaluated_key=decode_token(token))
        items = list(result)
        return items, encode_token(result.last_evaluated_key)
