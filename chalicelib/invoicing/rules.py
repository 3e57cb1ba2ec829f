"""The invoice rules as pure functions of their inputs and `now`: who the buyer is, when
the window closes, what an invoice covers after refunds, when a reminder is due."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from chalicelib.billing.states import RefundStatus
from chalicelib.editions.edition import WINDOW_LABELS, invoice_deadline
from chalicelib.identity.credit_code import normalise_credit_code
from chalicelib.invoicing.states import BuyerType, InvoiceKind
from chalicelib.platform.errors import ValidationError, WindowClosedError
from chalicelib.platform.text import normalise_name

REMIND_DAYS = 7  # trainees are reminded this many days before their invoice window closes


def buyer_for(order_kind: str, payer_name: str, title: str, credit_code: str | None,
              account_credit_code: str | None = None) -> tuple[str, str, str | None]:
    """(buyer_type, title, credit_code) for the request, or ValidationError naming the
    field. A person's invoice carries their own name; a unit's its name and a valid
    统一社会信用代码. A group order is the unit's: its code defaults to the account's."""
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError("请填写发票抬头", field="title")
    code_text = (credit_code or "").strip()
    if order_kind == "group" and not code_text:
        code_text = account_credit_code or ""
        if not code_text:
            raise ValidationError("单位发票须填写统一社会信用代码", field="credit_code")
    if code_text:
        code = normalise_credit_code(code_text)
        if code is None:
            raise ValidationError("统一社会信用代码无效（校验位不符或格式错误）", field="credit_code",
                                  code="INVALID_CREDIT_CODE")
        return BuyerType.UNIT.value, title, code
    if normalise_name(title) != normalise_name(payer_name):
        raise ValidationError("个人发票的抬头须为交费人本人姓名；开给单位请填写统一社会信用代码",
                              field="title", code="TITLE_NOT_PAYER")
    return BuyerType.INDIVIDUAL.value, title, None


def window_closes(paid_at: datetime, months: int, reopened_at: datetime | None = None) -> datetime:
    """When the invoice window of an order closes (exclusive). After a red-letter reversal
    the owner has a full window again from the reversal, if that ends later."""
    closes = invoice_deadline(paid_at, months)
    if reopened_at is not None:
        closes = max(closes, invoice_deadline(reopened_at, months))
    return closes


def require_window(paid_at: datetime, months: int, now: datetime,
                   reopened_at: datetime | None = None) -> datetime:
    """When the window closes, or WindowClosedError when `now` is outside it."""
    closes = window_closes(paid_at, months, reopened_at)
    if not paid_at <= now < closes:
        raise WindowClosedError("invoice", WINDOW_LABELS["invoice"], paid_at, closes, now)
    return closes


@dataclass(frozen=True)
class RefundPart:
    """What the invoice rules need of a refund of the order."""
    payment_id: str | None
    registration_id: str | None
    amount_fen: int
    status: str


def net_of_refunds(amount_fen: int, members: int, payment_id: str | None,
                   refunds: Iterable[RefundPart]) -> tuple[int, int]:
    """(amount, members) an invoice covers: a group order whose members were refunded one
    by one stays `paid`; their refunds (of this order's payment, not failed) come off."""
    counted = [r for r in refunds if r.payment_id == payment_id and r.status != RefundStatus.FAILED]
    members = members or 1
    refunded_members = {r.registration_id for r in counted if r.registration_id}
    return (amount_fen - sum(r.amount_fen for r in counted),
            max(members - len(refunded_members), 0))


def reminder_due(paid_at: datetime, months: int, reopened_at: datetime | None,
                 now: datetime) -> datetime | None:
    """When the window closes, if that is within REMIND_DAYS from `now` (a reminder is
    due); None otherwise."""
    closes = window_closes(paid_at, months, reopened_at)
    return closes if now < closes <= now + timedelta(days=REMIND_DAYS) else None


def reminder_paid_between(now: datetime, months: int) -> tuple[datetime, datetime]:
    """The payment times whose first window can close within REMIND_DAYS of `now` (a
    month is 28 to 31 days): the orders a reminder run looks at."""
    return (now - timedelta(days=31 * months + 1),
            now + timedelta(days=REMIND_DAYS) - timedelta(days=28 * months))


def last_reversal_at(invoices: Iterable[Any]) -> datetime | None:
    """When the latest blue invoice among an order's `invoices` was reversed (None: never)."""
    times = [i.reversed_at for i in invoices
             if i.kind == InvoiceKind.BLUE and i.reversed_at is not None]
    return max(times) if times else None
