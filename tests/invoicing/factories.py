"""Test data for invoices and jobs: accounts and paid orders written straight through the
stores (the payments flow itself is tested by its own feature)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from chalicelib.platform.store.base import new_id

UNIT_CODE = "91110000600037341L"  # valid check character
BAD_CODE = "91110000600037341X"  # same code, wrong check character


def make_account(name: str = "张三", kind: str = "personal", credit_code: str | None = None,
                 unit_name: str | None = None) -> Any:
    from chalicelib.identity.repository import Account
    sub = str(uuid.uuid4())
    account = Account(user_sub=sub, email=f"{sub[:8]}@example.com", name=name, kind=kind,
                      unit_name=unit_name, credit_code=credit_code,
                      created_at=datetime(2026, 4, 1, tzinfo=UTC))
    account.save()
    return account


def make_order(owner_sub: str, paid_at: datetime | None, *, kind: str = "individual",
               status: str = "paid", amount_fen: int = 49000, official_card: bool = False,
               payer_name: str = "张三", channel: str = "alipay", edition_id: str = "2026",
               members: int = 1) -> Any:
    from chalicelib.billing.repository import Order, order_queue
    order = Order(order_id=new_id("O"), edition_id=edition_id, kind=kind, channel=channel,
                  owner_sub=owner_sub, registration_ids=[new_id("R") for _ in range(members)],
                  amount_fen=amount_fen, status=status, official_card=official_card,
                  unit_name="国家图书馆", payer_name=payer_name,
                  created_at=paid_at or datetime(2026, 4, 5, tzinfo=UTC), paid_at=paid_at,
                  queue=order_queue(edition_id, status, channel),
                  payment_id=new_id("P") if paid_at else None)
    order.save()
    return order


def make_member_refund(order: Any, registration_id: str, amount_fen: int, status: str = "done") -> Any:
    """A refund of one member of a group order (the order itself stays `paid`)."""
    from chalicelib.billing.repository import Refund
    refund = Refund(refund_id=new_id("F"), payment_id=order.payment_id, order_id=order.order_id,
                    edition_id=order.edition_id, registration_id=registration_id,
                    channel=order.channel, provider_txn_id="T1", amount_fen=amount_fen,
                    payment_amount_fen=order.amount_fen, kind="request", status=status,
                    reason="test", requested_by="test", requested_at=order.paid_at,
                    queue=f"{order.edition_id}#{status}")
    refund.save()
    return refund


class FastIssuer:
    """Stands in for the tax-platform provider where its protocol does not matter (speed):
    it accepts every submit and reports it issued at the first query, with a 20-digit
    number and a PDF."""
    name = "fake"

    def __init__(self) -> None:
        self.issued: list[Any] = []  # the documents submitted
        self.orders: dict[str, Any] = {}
        self.retries: list[str] = []

    def submit(self, doc: Any) -> Any:
        from chalicelib.invoicing.issuer import Submitted
        self.issued.append(doc)
        self.orders[doc.order_no] = doc
        return Submitted(serial_no=f"S{doc.order_no}")

    def number_of(self, order_no: str) -> str:
        return f"2611{list(self.orders).index(order_no) + 1:016d}"

    def query(self, order_no: str) -> Any:
        from chalicelib.invoicing.issuer import Outcome
        if order_no not in self.orders:
            return Outcome("unknown")
        return Outcome("issued", number=self.number_of(order_no), serial_no=f"S{order_no}",
                       documents={"pdf": f"https://fake.example/{order_no}.pdf"})

    def retry(self, order_no: str, serial_no: str | None) -> None:
        self.retries.append(order_no)

    def fetch(self, url: str) -> bytes:
        order_no = url.rsplit("/", 1)[-1].removesuffix(".pdf")
        return b"%PDF-1.4 fake " + self.number_of(order_no).encode()


class BrokenIssuer:
    """The provider cannot be reached: every call fails, its outcome unknown."""
    name = "broken"

    def submit(self, doc: Any) -> Any:
        raise OSError("tax platform down")

    def query(self, order_no: str) -> Any:
        raise OSError("tax platform down")

    def retry(self, order_no: str, serial_no: str | None) -> None:
        raise OSError("tax platform down")

    def fetch(self, url: str) -> bytes:
        raise OSError("tax platform down")
