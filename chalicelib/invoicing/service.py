"""E-invoices: a paid order's owner asks for one within the invoice window (one calendar
month after payment, to the end of that day, Asia/Shanghai); numbers are gapless; an
invoice is never deleted, only reversed by a red-letter invoice that frees the order for a
fresh one. The document is produced by an issuer (default: a PDF) and kept in the private
invoices bucket, downloaded through a short-lived link."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.billing import queries as billing
from chalicelib.billing.errors import OrderNotFoundError
from chalicelib.billing.states import OrderKind, OrderStatus
from chalicelib.editions import service as editions
from chalicelib.editions.edition import Edition
from chalicelib.identity.accounts import get_account
from chalicelib.invoicing import rules
from chalicelib.invoicing.errors import AlreadyReversedError, InvoiceExistsError, InvoiceNotFoundError, OrderRefundedError
from chalicelib.invoicing.issuer import InvoiceDocument, InvoiceIssuer, invoice_issuer
from chalicelib.invoicing.repository import Invoice, InvoiceRepository
from chalicelib.invoicing.states import InvoiceKind, InvoiceStatus
from chalicelib.platform.clock import iso, shanghai
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ConflictError, NotFoundError, ValidationError
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.money import yuan
from chalicelib.platform.observability import logger
from chalicelib.platform.paging import page_out
from chalicelib.platform.store.base import new_id

repo = InvoiceRepository()  # tests swap in tests/invoicing/memory.py's twin

ITEM = "培训费"
BUCKET = "invoices"
LINK_TTL_S = 300  # the download link lives five minutes
REFUND_REASON = "订单已退费"

mail.register_template(
    "invoice.issued", "【电子发票已开具】{edition_title}",
    "您好：\n\n订单 {order_id} 的电子发票已开具。\n发票号码：{invoice_no}\n抬头：{title}\n"
    "金额：{amount_yuan} 元\n请登录平台下载（下载链接短时有效，可随时重新获取）。")
mail.register_template(
    "invoice.reversed", "【发票已红冲】{invoice_no}",
    "您好：\n\n订单 {order_id} 的电子发票（{invoice_no}）已由财务红冲，红字发票号码 {red_no}。\n"
    "原因：{reason}\n如需重新开票，请在 {deadline} 前登录平台申请。")
mail.register_template(
    "invoice.deadline_reminder", "【开票提醒】订单 {order_id} 的开票期限将至",
    "您好：\n\n订单 {order_id}（金额 {amount_yuan} 元）于 {paid_at} 交费，尚未申请电子发票。\n"
    "开票申请截止时间：{deadline}（北京时间）。逾期将不能开票，如需发票请尽快登录平台申请。")


# --- views --------------------------------------------------------------------------------
def view(inv: Invoice) -> dict[str, Any]:
    """An invoice as the API shows it (routes.InvoiceOut)."""
    return {
        "invoice_id": inv.invoice_id, "invoice_no": inv.invoice_no, "kind": inv.kind,
        "status": inv.status, "order_id": inv.order_id, "edition_id": inv.edition_id,
        "buyer_type": inv.buyer_type, "title": inv.title, "credit_code": inv.credit_code,
        "item": inv.item, "quantity": inv.quantity, "amount_fen": inv.amount_fen,
        "official_card": inv.official_card, "issued_at": iso(inv.issued_at),
        "reverses_invoice_id": inv.reverses_id, "reverses_no": inv.reverses_no,
        "reversed_by_invoice_id": inv.reversed_by_id, "reversed_at": iso(inv.reversed_at),
        "reason": inv.reason, "pdf_ready": inv.pdf_ready_at is not None,
    }


def _last_second(closes: datetime) -> str:
    """A window's close as people read it: its last second, Beijing time."""
    return shanghai(closes - timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")


# --- use cases ----------------------------------------------------------------------------
def _owned_order(order_id: str, user_sub: str) -> Any:
    order = billing.get_order(order_id)
    if order is None or order.owner_sub != user_sub:
        raise OrderNotFoundError()
    return order


def net_of_refunds(order: Any) -> tuple[int, int]:
    """(amount, members) the invoice of `order` covers (rules.net_of_refunds)."""
    refunds = [rules.RefundPart(payment_id=r.payment_id, registration_id=r.registration_id,
                                amount_fen=int(r.amount_fen), status=r.status)
               for r in billing.refunds_of_order(order.order_id)]
    return rules.net_of_refunds(int(order.amount_fen), len(order.registration_ids or []),
                                order.payment_id, refunds)


def owner_email(user_sub: str) -> str | None:
    """Where an invoice's mails go (None: the account is gone)."""
    try:
        return str(get_account(user_sub).email)
    except NotFoundError:
        return None


def request_invoice(deps: Deps, user_sub: str, order_id: str, title: str,
                    credit_code: str | None, now: datetime) -> dict[str, Any]:
    """Issue the invoice of the caller's paid order (trainee: individual; unit: group)."""
    order = _owned_order(order_id, user_sub)
    if order.status != OrderStatus.PAID or order.paid_at is None:
        if order.status in (OrderStatus.REFUNDING, OrderStatus.REFUNDED):
            raise OrderRefundedError(status=order.status)
        raise ConflictError("订单尚未交费，不能开具发票", code="ORDER_NOT_PAID", status=order.status)
    account_code = get_account(user_sub).credit_code if order.kind == OrderKind.GROUP else None
    buyer_type, title, code = rules.buyer_for(order.kind, order.payer_name, title, credit_code,
                                              account_code)
    existing = repo.live_invoice_id(order.order_id)
    if existing:
        raise InvoiceExistsError(invoice_id=existing)
    edition = editions.get_edition(deps, order.edition_id)
    rules.require_window(order.paid_at, edition.invoice_window_months, now,
                         repo.last_reversal_at(order.order_id))
    amount, quantity = net_of_refunds(order)
    if amount <= 0:
        raise OrderRefundedError("该订单已全部退费，不能开具发票")
    invoice_id = new_id("I")
    invoice = Invoice(
        invoice_id=invoice_id, invoice_no="", series=order.edition_id, seq=0,
        kind=InvoiceKind.BLUE.value, status=InvoiceStatus.ISSUED.value, order_id=order.order_id,
        order_kind=order.kind, edition_id=order.edition_id, owner_sub=order.owner_sub,
        buyer_type=buyer_type, title=title, credit_code=code, item=ITEM, quantity=quantity,
        amount_fen=amount, official_card=bool(order.official_card),
        channel=order.channel, paid_at=order.paid_at, issued_at=now, issued_by=user_sub,
        issuer=_issuer(deps).name, pdf_key=f"{order.edition_id}/{invoice_id}.pdf")
    repo.issue(invoice, user_sub, now)
    _render(deps, invoice, edition, now)
    to = owner_email(order.owner_sub)
    if to:
        mail.queue_mail(deps, f"invoice.issued#{invoice.invoice_id}", to, "invoice.issued",
                        {"edition_title": edition.title, "order_id": order.order_id,
                         "invoice_no": invoice.invoice_no, "title": invoice.title,
                         "amount_yuan": yuan(int(invoice.amount_fen))}, now)
    return view(invoice)


def _issuer(deps: Deps) -> InvoiceIssuer:
    return invoice_issuer(deps)


def _document(inv: Invoice, edition: Edition) -> InvoiceDocument:
    notes = [f"培训项目：{edition.title}"]
    if inv.order_kind == OrderKind.GROUP:
        notes.append(f"集体交费，{inv.quantity} 人")
    return InvoiceDocument(
        invoice_no=inv.invoice_no, kind=inv.kind, issued_at=inv.issued_at,
        seller=edition.organizer, buyer_title=inv.title, buyer_credit_code=inv.credit_code,
        item=inv.item, quantity=int(inv.quantity), amount_fen=int(inv.amount_fen),
        official_card=bool(inv.official_card), order_id=inv.order_id,
        payment_channel=inv.channel, paid_at=inv.paid_at, reverses_no=inv.reverses_no,
        reason=inv.reason if inv.kind == InvoiceKind.RED else None, notes=notes)


def _storage(deps: Deps) -> Any:
    from chalicelib.platform.storage import storage  # boto3: off the cold-start path
    return storage(deps)


def _render(deps: Deps, inv: Invoice, edition: Edition, now: datetime) -> bool:
    """Produce and store the document after the invoice is committed. A failure is logged
    and retried at download: the number and the record stand either way."""
    try:
        issued = _issuer(deps).issue(_document(inv, edition))
        _storage(deps).put_object(BUCKET, inv.pdf_key, issued.content, issued.content_type,
                                  metadata={"invoice-no": inv.invoice_no})
    except Exception:  # the issuer is the outside world: any failure is retried later
        logger.exception("invoice document not produced", extra={"invoice_id": inv.invoice_id})
        return False
    repo.mark_pdf_ready(inv, now)
    return True


def get_invoice(invoice_id: str, user_sub: str, is_staff: bool) -> Invoice:
    inv = repo.get(invoice_id)
    if inv is None or (not is_staff and inv.owner_sub != user_sub):
        raise InvoiceNotFoundError()
    return inv


def invoice_detail(invoice_id: str, user_sub: str, is_staff: bool) -> dict[str, Any]:
    """One invoice, for its owner or finance."""
    return view(get_invoice(invoice_id, user_sub, is_staff))


def download(deps: Deps, invoice_id: str, user_sub: str, is_staff: bool,
             now: datetime) -> dict[str, Any]:
    """A short-lived link to the invoice PDF (rendered now if its first rendering failed)."""
    inv = get_invoice(invoice_id, user_sub, is_staff)
    if inv.pdf_ready_at is None:
        edition = editions.get_edition(deps, inv.edition_id)
        if not _render(deps, inv, edition, now):
            raise ConflictError("发票文件正在生成，请稍后重试", code="INVOICE_PDF_PENDING")
    return _storage(deps).presigned_get(BUCKET, inv.pdf_key, LINK_TTL_S, now,  # type: ignore[no-any-return]
                                        filename=f"电子发票-{inv.invoice_no}.pdf",
                                        content_type="application/pdf")


def list_mine(user_sub: str) -> dict[str, Any]:
    """The caller's invoices, newest first (one list: an account has a handful)."""
    return page_out("invoices", [view(i) for i in repo.list_by_owner(user_sub)], None)


def list_for_finance(deps: Deps, edition_id: str | None, limit: int,
                     token: str | None) -> dict[str, Any]:
    """One page of an edition's invoices (default: the current edition), newest first."""
    edition_id = edition_id or editions.current_edition_id(deps)
    items, next_token = repo.list_by_edition(edition_id, limit, token)
    return page_out("invoices", [view(i) for i in items], next_token)


def reverse(deps: Deps, invoice_id: str, reason: str, actor: str, now: datetime) -> dict[str, Any]:
    """Finance cancels an invoice with a red-letter (negative) one; the order may then be
    invoiced afresh (within a window counted again from now)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("红冲须填写原因", field="reason")
    original = repo.get(invoice_id)
    if original is None:
        raise InvoiceNotFoundError()
    if original.kind != InvoiceKind.BLUE:
        raise ConflictError("红字发票不能再红冲", code="CANNOT_REVERSE_RED")
    if original.status != InvoiceStatus.ISSUED:
        raise AlreadyReversedError(reversed_by_invoice_id=original.reversed_by_id)
    red_id = new_id("I")
    red = Invoice(
        invoice_id=red_id, invoice_no="", series=original.series, seq=0,
        kind=InvoiceKind.RED.value, status=InvoiceStatus.ISSUED.value,
        order_id=original.order_id, order_kind=original.order_kind,
        edition_id=original.edition_id, owner_sub=original.owner_sub,
        buyer_type=original.buyer_type, title=original.title, credit_code=original.credit_code,
        item=original.item, quantity=original.quantity, amount_fen=-int(original.amount_fen),
        official_card=original.official_card, channel=original.channel,
        paid_at=original.paid_at, issued_at=now, issued_by=actor,
        reverses_id=original.invoice_id, reverses_no=original.invoice_no, reason=reason,
        issuer=_issuer(deps).name, pdf_key=f"{original.edition_id}/{red_id}.pdf")
    repo.reverse(original, red, reason, actor, now)
    edition = editions.get_edition(deps, original.edition_id)
    _render(deps, red, edition, now)
    to = owner_email(original.owner_sub)
    if to and original.paid_at is not None:
        closes = rules.window_closes(original.paid_at, edition.invoice_window_months, now)
        mail.queue_mail(deps, f"invoice.reversed#{original.invoice_id}", to, "invoice.reversed",
                        {"order_id": original.order_id, "invoice_no": original.invoice_no,
                         "red_no": red.invoice_no, "reason": reason,
                         "deadline": _last_second(closes)}, now)
    return {"reversal": view(red), "original": view(original)}


def reverse_for_refund(deps: Deps, order_id: str, actor: str, now: datetime) -> dict[str, Any] | None:
    """For the refunds feature: when an order's money went back, its live invoice (if any)
    is reversed with a red-letter invoice. Idempotent: None when there is nothing to do."""
    invoice_id = repo.live_invoice_id(order_id)
    if invoice_id is None:
        return None
    try:
        return reverse(deps, invoice_id, REFUND_REASON, actor, now)
    except AlreadyReversedError:
        return None


def remind_deadline(deps: Deps, order: Any, months: int, now: datetime) -> bool:
    """One paid order: when its invoice window closes within rules.REMIND_DAYS and it has
    no invoice, its owner gets one reminder (the mail id is per order and deadline, so a
    second look sends nothing). True when a reminder was queued now."""
    if order.paid_at is None:
        return False
    closes = rules.reminder_due(order.paid_at, months, repo.last_reversal_at(order.order_id), now)
    if closes is None or repo.live_invoice_id(order.order_id):
        return False
    to = owner_email(order.owner_sub)
    return bool(to and mail.queue_mail(
        deps, f"invoice.deadline_reminder#{order.order_id}#{closes.isoformat()}", to,
        "invoice.deadline_reminder",
        {"order_id": order.order_id, "amount_yuan": yuan(int(order.amount_fen)),
         "paid_at": shanghai(order.paid_at).strftime("%Y-%m-%d %H:%M"),
         "deadline": _last_second(closes)}, now))

