"""E-invoices: a paid order's owner asks for one within the invoice window (one calendar
month after payment, to the end of that day, Asia/Shanghai); numbers are gapless; an
invoice is never deleted, only reversed by a red-letter invoice that frees the order for a
fresh one. The document is produced by an issuer (default: a PDF) and kept in the private
invoices bucket, downloaded through a short-lived link."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.platform.clock import iso, shanghai
from chalicelib.identity.credit_code import normalise_credit_code
from chalicelib.editions.edition import WINDOW_LABELS, Edition, invoice_deadline
from chalicelib.platform.text import normalise_name
from chalicelib.platform.errors import ConflictError, NotFoundError, ValidationError, WindowClosedError
from chalicelib.platform.observability import logger
from chalicelib.editions import service as editions
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.deps import Deps
from chalicelib.invoicing import repository as billing
from chalicelib.platform.store.base import decode_token, new_id
from chalicelib.invoicing.repository import Invoice, InvoiceRepository

repo = InvoiceRepository()

ITEM = "培训费"
BUCKET = "invoices"
LINK_TTL_S = 300  # the download link lives five minutes
REMIND_DAYS = 7  # trainees are reminded this many days before their invoice window closes
REMIND_PAGE = 100

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


# --- pure rules ---------------------------------------------------------------------------
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
        return "unit", title, code
    if normalise_name(title) != normalise_name(payer_name):
        raise ValidationError("个人发票的抬头须为交费人本人姓名；开给单位请填写统一社会信用代码",
                              field="title", code="TITLE_NOT_PAYER")
    return "individual", title, None


def window_closes(paid_at: datetime, months: int, reopened_at: datetime | None = None) -> datetime:
    """When the invoice window of an order closes (exclusive). After a red-letter reversal
    the owner has a full window again from the reversal, if that ends later."""
    closes = invoice_deadline(paid_at, months)
    if reopened_at is not None:
        closes = max(closes, invoice_deadline(reopened_at, months))
    return closes


def require_window(paid_at: datetime, months: int, now: datetime,
                   reopened_at: datetime | None = None) -> datetime:
    closes = window_closes(paid_at, months, reopened_at)
    if not paid_at <= now < closes:
        raise WindowClosedError("invoice", WINDOW_LABELS["invoice"], paid_at, closes, now)
    return closes


# --- views --------------------------------------------------------------------------------
def view(inv: Invoice) -> dict[str, Any]:
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


# --- use cases ----------------------------------------------------------------------------
def _order(order_id: str) -> Any:
    from chalicelib.billing.repository import get_order
    return get_order(order_id)


def _owned_order(order_id: str, user_sub: str) -> Any:
    order = _order(order_id)
    if order is None or order.owner_sub != user_sub:
        raise NotFoundError("订单不存在", code="ORDER_NOT_FOUND")
    return order


def net_of_refunds(order: Any) -> tuple[int, int]:
    """(amount, members) the invoice covers: a group order whose members were refunded one
    by one stays `paid`; their refunds (of this order's payment, not failed) come off."""
    from chalicelib.billing.repository import refunds_of_order
    refunds = [r for r in refunds_of_order(order.order_id)
               if r.payment_id == order.payment_id and r.status != "failed"]
    members = len(order.registration_ids or []) or 1
    refunded_members = {r.registration_id for r in refunds if r.registration_id}
    return (int(order.amount_fen) - sum(int(r.amount_fen) for r in refunds),
            max(members - len(refunded_members), 0))


def _last_reversal(order_id: str) -> datetime | None:
    times = [i.reversed_at for i in repo.list_by_order(order_id)
             if i.kind == billing.BLUE and i.reversed_at is not None]
    return max(times) if times else None


def _owner_email(user_sub: str) -> str | None:
    from chalicelib.identity.accounts import get_account
    try:
        return get_account(user_sub).email
    except NotFoundError:
        return None


def request_invoice(deps: Deps, user_sub: str, order_id: str, title: str,
                    credit_code: str | None, now: datetime) -> dict[str, Any]:
    """Issue the invoice of the caller's paid order (trainee: individual; unit: group)."""
    order = _owned_order(order_id, user_sub)
    if order.status != "paid" or order.paid_at is None:
        if order.status in ("refunding", "refunded"):
            raise ConflictError("该订单已申请退费，不能开具发票", code="ORDER_REFUNDED",
                                status=order.status)
        raise ConflictError("订单尚未交费，不能开具发票", code="ORDER_NOT_PAID", status=order.status)
    account_code = None
    if order.kind == "group":
        from chalicelib.identity.accounts import get_account
        account_code = get_account(user_sub).credit_code
    buyer_type, title, code = buyer_for(order.kind, order.payer_name, title, credit_code,
                                        account_code)
    existing = repo.live_invoice_id(order.order_id)
    if existing:
        raise ConflictError("该订单已开具发票，如需更正请联系财务红冲后重开", code="INVOICE_EXISTS",
                            invoice_id=existing)
    edition = editions.get_edition(deps, order.edition_id)
    require_window(order.paid_at, edition.invoice_window_months, now,
                   _last_reversal(order.order_id))
    amount, quantity = net_of_refunds(order)
    if amount <= 0:
        raise ConflictError("该订单已全部退费，不能开具发票", code="ORDER_REFUNDED")
    invoice_id = new_id("I")
    invoice = Invoice(
        invoice_id=invoice_id, invoice_no="", series=order.edition_id, seq=0, kind=billing.BLUE,
        status=billing.ISSUED, order_id=order.order_id, order_kind=order.kind,
        edition_id=order.edition_id, owner_sub=order.owner_sub, buyer_type=buyer_type,
        title=title, credit_code=code, item=ITEM, quantity=quantity,
        amount_fen=amount, official_card=bool(order.official_card),
        channel=order.channel, paid_at=order.paid_at, issued_at=now, issued_by=user_sub,
        issuer=_issuer(deps).name, pdf_key=f"{order.edition_id}/{invoice_id}.pdf")
    try:
        repo.issue(invoice, user_sub, now)
    except billing.InvoiceExistsError as exc:
        raise ConflictError("该订单已开具发票，如需更正请联系财务红冲后重开", code="INVOICE_EXISTS",
                            invoice_id=exc.invoice_id) from exc
    _render(deps, invoice, edition, now)
    to = _owner_email(order.owner_sub)
    if to:
        mail.queue_mail(deps, f"invoice.issued#{invoice.invoice_id}", to, "invoice.issued",
                        {"edition_title": edition.title, "order_id": order.order_id,
                         "invoice_no": invoice.invoice_no, "title": invoice.title,
                         "amount_yuan": f"{invoice.amount_fen / 100:.2f}"}, now)
    return view(invoice)


def _issuer(deps: Deps) -> Any:
    from chalicelib.invoicing.issuer import invoice_issuer
    return invoice_issuer(deps)


def _document(inv: Invoice, edition: Edition) -> Any:
    from chalicelib.invoicing.issuer import InvoiceDocument
    notes = [f"培训项目：{edition.title}"]
    if inv.order_kind == "group":
        notes.append(f"集体交费，{inv.quantity} 人")
    return InvoiceDocument(
        invoice_no=inv.invoice_no, kind=inv.kind, issued_at=inv.issued_at,
        seller=edition.organizer, buyer_title=inv.title, buyer_credit_code=inv.credit_code,
        item=inv.item, quantity=int(inv.quantity), amount_fen=int(inv.amount_fen),
        official_card=bool(inv.official_card), order_id=inv.order_id,
        payment_channel=inv.channel, paid_at=inv.paid_at, reverses_no=inv.reverses_no,
        reason=inv.reason if inv.kind == billing.RED else None, notes=notes)


def _render(deps: Deps, inv: Invoice, edition: Edition, now: datetime) -> bool:
    """Produce and store the document after the invoice is committed. A failure is logged
    and retried at download: the number and the record stand either way."""
    from chalicelib.platform.storage import storage
    try:
        issued = _issuer(deps).issue(_document(inv, edition))
        storage(deps).put_object(BUCKET, inv.pdf_key, issued.content, issued.content_type,
                                 metadata={"invoice-no": inv.invoice_no})
    except Exception:  # the issuer is the outside world: any failure is retried later
        logger.exception("invoice document not produced", extra={"invoice_id": inv.invoice_id})
        return False
    repo.mark_pdf_ready(inv, now)
    return True


def get_invoice(invoice_id: str, user_sub: str, is_staff: bool) -> Invoice:
    inv = repo.get(invoice_id)
    if inv is None or (not is_staff and inv.owner_sub != user_sub):
        raise NotFoundError("发票不存在", code="INVOICE_NOT_FOUND")
    return inv


def invoice_detail(invoice_id: str, user_sub: str, is_staff: bool) -> dict[str, Any]:
    return view(get_invoice(invoice_id, user_sub, is_staff))


def download(deps: Deps, invoice_id: str, user_sub: str, is_staff: bool,
             now: datetime) -> dict[str, Any]:
    """A short-lived link to the invoice PDF (rendered now if its first rendering failed)."""
    from chalicelib.platform.storage import storage
    inv = get_invoice(invoice_id, user_sub, is_staff)
    if inv.pdf_ready_at is None:
        edition = editions.get_edition(deps, inv.edition_id)
        if not _render(deps, inv, edition, now):
            raise ConflictError("发票文件正在生成，请稍后重试", code="INVOICE_PDF_PENDING")
    return storage(deps).presigned_get(BUCKET, inv.pdf_key, LINK_TTL_S, now,
                                       filename=f"电子发票-{inv.invoice_no}.pdf",
                                       content_type="application/pdf")


def list_mine(user_sub: str) -> dict[str, Any]:
    return {"invoices": [view(i) for i in repo.list_by_owner(user_sub)]}


def list_for_finance(deps: Deps, edition_id: str | None, limit: int,
                     token: str | None) -> dict[str, Any]:
    edition_id = edition_id or editions.current_edition_id(deps)
    decode_token(token)  # 400 for a malformed token before querying
    items, next_token = repo.list_by_edition(edition_id, limit, token)
    return {"invoices": [view(i) for i in items], "next_token": next_token}


def reverse(deps: Deps, invoice_id: str, reason: str, actor: str, now: datetime) -> dict[str, Any]:
    """Finance cancels an invoice with a red-letter (negative) one; the order may then be
    invoiced afresh (within a window counted again from now)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("红冲须填写原因", field="reason")
    original = repo.get(invoice_id)
    if original is None:
        raise NotFoundError("发票不存在", code="INVOICE_NOT_FOUND")
    if original.kind != billing.BLUE:
        raise ConflictError("红字发票不能再红冲", code="CANNOT_REVERSE_RED")
    if original.status != billing.ISSUED:
        raise ConflictError("该发票已红冲", code="ALREADY_REVERSED",
                            reversed_by_invoice_id=original.reversed_by_id)
    red_id = new_id("I")
    red = Invoice(
        invoice_id=red_id, invoice_no="", series=original.series, seq=0, kind=billing.RED,
        status=billing.ISSUED, order_id=original.order_id, order_kind=original.order_kind,
        edition_id=original.edition_id, owner_sub=original.owner_sub,
        buyer_type=original.buyer_type, title=original.title, credit_code=original.credit_code,
        item=original.item, quantity=original.quantity, amount_fen=-int(original.amount_fen),
        official_card=original.official_card, channel=original.channel,
        paid_at=original.paid_at, issued_at=now, issued_by=actor,
        reverses_id=original.invoice_id, reverses_no=original.invoice_no, reason=reason,
        issuer=_issuer(deps).name, pdf_key=f"{original.edition_id}/{red_id}.pdf")
    try:
        repo.reverse(original, red, reason, actor, now)
    except billing.AlreadyReversedError as exc:
        raise ConflictError("该发票已红冲", code="ALREADY_REVERSED") from exc
    edition = editions.get_edition(deps, original.edition_id)
    _render(deps, red, edition, now)
    original.refresh(consistent_read=True)
    to = _owner_email(original.owner_sub)
    if to and original.paid_at is not None:
        closes = window_closes(original.paid_at, edition.invoice_window_months, now)
        mail.queue_mail(deps, f"invoice.reversed#{original.invoice_id}", to, "invoice.reversed",
                        {"order_id": original.order_id, "invoice_no": original.invoice_no,
                         "red_no": red.invoice_no, "reason": reason,
                         "deadline": shanghai(closes - timedelta(seconds=1)).strftime(
                             "%Y-%m-%d %H:%M:%S")}, now)
    return {"reversal": view(red), "original": view(original)}


def reverse_for_refund(deps: Deps, order_id: str, actor: str, now: datetime) -> dict[str, Any] | None:
    """For the refunds feature: when an order's money went back, its live invoice (if any)
    is reversed with a red-letter invoice. Idempotent: None when there is nothing to do."""
    invoice_id = repo.live_invoice_id(order_id)
    if invoice_id is None:
        return None
    try:
        return reverse(deps, invoice_id, "订单已退费", actor, now)
    except ConflictError as exc:
        if exc.code == "ALREADY_REVERSED":
            return None
        raise


# --- the reminder job ---------------------------------------------------------------------
def remind_deadlines(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                     budget_s: float) -> tuple[dict[str, int], Any]:
    """Job step: paid orders of `edition` whose invoice window closes within REMIND_DAYS
    and that have no invoice get one reminder (mail id per order and deadline). Reads the
    orders' `<edition>#paid#<channel>` queue index, filtered to the payment dates that can
    be due; one page per call, the cursor is (channel, last key)."""
    from chalicelib.billing.states import Channel
    from chalicelib.billing.repository import Order, order_queue
    months = edition.invoice_window_months
    channels = [c.value for c in Channel]
    cursor = cursor or {"channel": 0, "key": None}
    index = int(cursor["channel"])
    if index >= len(channels):
        return {}, None
    lo = now - timedelta(days=31 * months + 1)
    hi = now + timedelta(days=REMIND_DAYS) - timedelta(days=28 * months)
    result = Order.by_queue.query(order_queue(edition.edition_id, "paid", channels[index]),
                                  filter_condition=Order.paid_at.between(lo, hi),
                                  limit=REMIND_PAGE, last_evaluated_key=cursor["key"])
    counts = {"checked": 0, "reminded": 0}
    for order in result:
        counts["checked"] += 1
        if order.paid_at is None:
            continue
        closes = window_closes(order.paid_at, months, _last_reversal(order.order_id))
        if not now < closes <= now + timedelta(days=REMIND_DAYS):
            continue
        if repo.live_invoice_id(order.order_id):
            continue
        to = _owner_email(order.owner_sub)
        if to and mail.queue_mail(
                deps, f"invoice.deadline_reminder#{order.order_id}#{closes.isoformat()}", to,
                "invoice.deadline_reminder",
                {"order_id": order.order_id, "amount_yuan": f"{order.amount_fen / 100:.2f}",
                 "paid_at": shanghai(order.paid_at).strftime("%Y-%m-%d %H:%M"),
                 "deadline": shanghai(closes - timedelta(seconds=1)).strftime(
                     "%Y-%m-%d %H:%M:%S")}, now):
            counts["reminded"] += 1
    last = result.last_evaluated_key
    if last:
        return counts, {"channel": index, "key": last}
    if index + 1 < len(channels):
        return counts, {"channel": index + 1, "key": None}
    return counts, None
