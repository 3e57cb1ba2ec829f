"""The invoice repository's in-memory twin (Chalice's todo sample: `InMemoryTodoDB` beside
`DynamoDBTodo`): the same methods and the same rules (gapless numbers per series, one live
invoice per order, a blue invoice reversed once), dicts inside, so the service's rules are
tested in milliseconds. tests/invoicing/test_repository_contract.py holds both to the same
behaviour; moto proves the real conditions and races."""
from __future__ import annotations

from chalicelib.invoicing import rules

from datetime import datetime
from typing import Any

from chalicelib.invoicing.errors import AlreadyReversedError, InvoiceExistsError
from chalicelib.invoicing.repository import MOVE_FIELDS, Invoice, apply_reversal, number
from chalicelib.invoicing.states import IN_FLIGHT, STATUS, InvoiceKind, InvoiceStatus
from chalicelib.platform.paging import decode_token, encode_token


class InMemoryInvoiceRepository:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}  # invoice id -> the item as DynamoDB holds it
        self.counters: dict[str, int] = {}
        self.guards: dict[str, str] = {}  # order id -> its live invoice's id
        self.audit: list[tuple[str, str, str]] = []  # (entity, action, actor)

    def _store(self, invoice: Invoice) -> None:
        # Serialised as DynamoDB would be sent it: an unknown state raises here too.
        self.items[invoice.invoice_id] = invoice.serialize()

    def _all(self) -> list[Invoice]:
        return [Invoice.from_raw_data(item) for item in self.items.values()]

    def _number(self, invoice: Invoice, prefix: str) -> None:
        number(invoice, self.counters.get(invoice.series, 0), prefix)

    def get(self, invoice_id: str) -> Invoice | None:
        item = self.items.get(invoice_id)
        return Invoice.from_raw_data(item) if item is not None else None

    def live_invoice_id(self, order_id: str) -> str | None:
        return self.guards.get(order_id)

    def issue(self, invoice: Invoice, actor: str, now: datetime,
              order_no_prefix: str = "LSC") -> Invoice:
        owner = self.guards.get(invoice.order_id)
        if owner is not None:
            raise InvoiceExistsError(invoice_id=owner)
        self._number(invoice, order_no_prefix)
        self._store(invoice)
        self.counters[invoice.series] = int(invoice.seq)
        self.guards[invoice.order_id] = invoice.invoice_id
        self.audit.append((f"invoice#{invoice.invoice_id}", "invoice.requested", actor))
        return invoice

    def reverse(self, original: Invoice, red: Invoice, reason: str, actor: str,
                now: datetime, order_no_prefix: str = "LSC") -> Invoice:
        current = self.get(original.invoice_id)
        if current is None or current.kind != InvoiceKind.BLUE \
                or current.status not in STATUS.sources(InvoiceStatus.REVERSED) \
                or self.guards.get(original.order_id) != original.invoice_id:
            raise AlreadyReversedError()
        self._number(red, order_no_prefix)
        apply_reversal(original, red, reason, now)
        self._store(red)
        self._store(original)
        self.counters[red.series] = int(red.seq)
        del self.guards[original.order_id]
        self.audit.append((f"invoice#{original.invoice_id}", "invoice.reversed", actor))
        self.audit.append((f"invoice#{red.invoice_id}", "invoice.requested", actor))
        return red

    def mark_pdf_ready(self, invoice: Invoice, now: datetime) -> None:
        invoice.pdf_ready_at = now
        stored = self.get(invoice.invoice_id)
        assert stored is not None
        stored.pdf_ready_at = now
        self._store(stored)

    def move(self, invoice: Invoice, dst: str | None, actor: str, now: datetime,
             expect: dict[str, Any] | None = None, **fields: Any) -> bool:
        current = self.get(invoice.invoice_id)
        src = str(invoice.status)
        if dst is not None and dst != src:
            STATUS.require(src, dst)
        if current is None or current.status != src or any(
                getattr(current, k) != v for k, v in (expect or {}).items()):
            return False
        target = dst or src
        for name, value in fields.items():
            assert name in MOVE_FIELDS, name
            setattr(current, name, value)
            setattr(invoice, name, value)
        current.status = invoice.status = target
        current.pending = invoice.pending = invoice.edition_id if target in IN_FLIGHT else None
        self._store(current)
        if dst is not None and dst != src:
            self.audit.append((f"invoice#{invoice.invoice_id}", f"invoice.{target}", actor))
        return True

    def list_in_flight(self, edition_id: str, limit: int, token: str | None
                       ) -> tuple[list[Invoice], str | None]:
        start = int((decode_token(token) or {}).get("offset", 0))
        ours = sorted((i for i in self._all() if i.pending == edition_id), key=lambda i: i.issued_at)
        page = ours[start:start + limit]
        more = start + limit < len(ours)
        return page, encode_token({"offset": start + limit} if more else None)

    def list_by_owner(self, owner_sub: str) -> list[Invoice]:
        mine = [i for i in self._all() if i.owner_sub == owner_sub]
        return sorted(mine, key=lambda i: i.issued_at, reverse=True)

    def list_by_order(self, order_id: str) -> list[Invoice]:
        theirs = [i for i in self._all() if i.order_id == order_id]
        return sorted(theirs, key=lambda i: i.issued_at)

    def last_reversal_at(self, order_id: str) -> datetime | None:
        return rules.last_reversal_at(self.list_by_order(order_id))

    def list_by_edition(self, edition_id: str, limit: int, token: str | None
                        ) -> tuple[list[Invoice], str | None]:
        start = int((decode_token(token) or {}).get("offset", 0))
        ours = sorted((i for i in self._all() if i.edition_id == edition_id),
                      key=lambda i: i.issued_at, reverse=True)
        page = ours[start:start + limit]
        more = start + limit < len(ours)
        return page, encode_token({"offset": start + limit} if more else None)
