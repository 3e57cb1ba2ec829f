"""E-invoices (数电票): a paid order's owner asks for one within the invoice window (one
calendar month after payment, to the end of that day, Asia/Shanghai). The platform numbers
and records the request (its provider orderNo persisted with it, before any call), then the
tax-platform provider issues it asynchronously: requested -> issuing -> issued | failed
(`advance`, called inline, on a read by the owner and by the issuing job). An uncertain
submit is queried, never blindly re-submitted. On issued, the provider's 20-digit number
and its PDF (OFD/XML where given) are kept in the private invoices bucket and downloaded
through short-lived links. An invoice is never deleted, only reversed (红冲) by a red-letter
invoice that the provider issues too, which frees the order for a fresh one."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.billing import queries as billing
from chalicelib.billing.errors import OrderNotFoundError
from chalicelib.billing.states import OrderKind, OrderStatus
from chalicelib.editions import service as editions
from chalicelib.editions.edition import Edition
from chalicelib.identity.accounts import get_account
from chalicelib.invoicing import rules
from chalicelib.invoicing.errors import AlreadyReversedError, InvoiceExistsError, InvoiceNotFoundError, OrderRefundedError
from chalicelib.invoicing.issuer import RED_REASONS, InvoiceDocument, InvoiceIssuer, IssuerRefused, Outcome, invoice_issuer
from chalicelib.invoicing.repository import Invoice, InvoiceRepository
from chalicelib.invoicing.states import IN_FLIGHT, InvoiceKind, InvoiceStatus
from chalicelib.platform.clock import iso, notice_time
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
MAX_RETRIES = 3  # the provider's failures retried automatically (reInvoice), then finance
UNCERTAIN_GRACE_S = 60  # an unanswered submit the provider does not know yet: wait, then resubmit
CHECK_EVERY_S = 3  # an owner's reads look at the provider at most this often
DOCUMENT_TYPES = {"pdf": "application/pdf", "ofd": "application/ofd", "xml": "application/xml"}

mail.register_template(
    "invoice.issued", "【电子发票已开具】{edition_title}",
    "您好：\n\n订单 {order_id} 的电子发票（数电票）已开具。\n发票号码：{invoice_no}\n抬头：{title}\n"
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
        "invoice_number": inv.invoice_number, "order_no": inv.order_no,
        "invoice_date": iso(inv.provider_issued_at), "failure_reason": inv.fail_reason,
        "documents": [k for k, key in (("pdf", inv.pdf_ready_at and inv.pdf_key),
                                       ("ofd", inv.ofd_key), ("xml", inv.xml_key)) if key],
    }


def _last_second(closes: datetime) -> str:
    """A window's close as the notice writes it (an end at midnight: the day before, 24:00)."""
    return notice_time(closes, end=True)


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
        kind=InvoiceKind.BLUE.value, status=InvoiceStatus.REQUESTED.value, order_id=order.order_id,
        order_kind=order.kind, edition_id=order.edition_id, owner_sub=order.owner_sub,
        buyer_type=buyer_type, title=title, credit_code=code, item=edition.invoicing.item_name,
        quantity=quantity, amount_fen=amount, official_card=bool(order.official_card),
        channel=order.channel, paid_at=order.paid_at, issued_at=now, issued_by=user_sub,
        issuer="nuonuo", pdf_key=f"{order.edition_id}/{invoice_id}.pdf")
    repo.issue(invoice, user_sub, now, edition.invoicing.order_no_prefix)
    _follow(deps, invoice, now)  # submit now; the job and the owner's reads follow it
    return view(invoice)


def _issuer(deps: Deps) -> InvoiceIssuer:
    return invoice_issuer(deps)


def _document(inv: Invoice, edition: Edition) -> InvoiceDocument:
    notes = [f"培训项目：{edition.title}", f"订单号：{inv.order_id}"]
    if inv.order_kind == OrderKind.GROUP:
        notes.append(f"集体交费，{inv.quantity} 人")
    if inv.official_card:
        notes.append("公务卡支付")
    spec = edition.invoicing
    original = repo.get(inv.reverses_id) if inv.reverses_id else None
    return InvoiceDocument(
        invoice_no=inv.invoice_no, order_no=inv.order_no or inv.invoice_no, kind=inv.kind,
        issued_at=inv.issued_at, seller=spec.seller_name or edition.organizer,
        buyer_title=inv.title, buyer_credit_code=inv.credit_code, item=inv.item,
        quantity=int(inv.quantity), amount_fen=int(inv.amount_fen),
        official_card=bool(inv.official_card), order_id=inv.order_id,
        seller_tax_num=spec.seller_tax_num, seller_address=spec.seller_address,
        seller_tel=spec.seller_tel, seller_account=spec.seller_account, clerk=spec.clerk,
        goods_code=spec.goods_code, tax_rate=spec.tax_rate, invoice_line=spec.invoice_line,
        buyer_email=owner_email(inv.owner_sub), payment_channel=inv.channel, paid_at=inv.paid_at,
        reverses_no=inv.reverses_no,
        reverses_number=original.invoice_number if original is not None else None,
        reason=inv.reason if inv.kind == InvoiceKind.RED else None,
        red_reason=inv.red_reason or RED_REASONS["correction"], notes=notes)


def _storage(deps: Deps) -> Any:
    from chalicelib.platform.storage import storage  # boto3: off the cold-start path
    return storage(deps)


# --- following the provider -----------------------------------------------------------------
def _advance_quietly(deps: Deps, inv: Invoice, now: datetime) -> None:
    """advance(), for callers whose answer must not depend on the provider (the request,
    a read): a failure is logged; the job tries again."""
    try:
        advance(deps, inv, now)
    except Exception:  # the provider is the outside world: the job retries
        logger.exception("invoice not advanced", extra={"invoice_id": inv.invoice_id})


def _follow(deps: Deps, inv: Invoice, now: datetime) -> None:
    """One step, and after a submit one look at once (a quick provider has issued it)."""
    submitting = inv.status == InvoiceStatus.REQUESTED
    _advance_quietly(deps, inv, now)
    if submitting and inv.status == InvoiceStatus.ISSUING:
        _advance_quietly(deps, inv, now)


def advance(deps: Deps, inv: Invoice, now: datetime) -> bool:
    """One step of an invoice through the provider; True when its state moved. Requested:
    submit (the attempt is recorded before the call); if an earlier submit's outcome is
    unknown, ask the provider first. Issuing: ask for the result; a failure is retried
    (same orderNo) up to MAX_RETRIES, then the invoice is `failed` for finance."""
    if inv.status not in IN_FLIGHT:
        return False
    issuer = _issuer(deps)
    if inv.status == InvoiceStatus.REQUESTED and inv.submitted_at is None:
        return _submit(deps, issuer, inv, now)
    if not repo.move(inv, None, "system", now, expect={"checked_at": inv.checked_at},
                     checked_at=now):
        return False  # someone else is looking at it right now
    outcome = issuer.query(str(inv.order_no))
    if outcome.status == "unknown":
        if inv.status == InvoiceStatus.REQUESTED and inv.submitted_at is not None \
                and (now - inv.submitted_at).total_seconds() >= UNCERTAIN_GRACE_S:
            return _submit(deps, issuer, inv, now)  # the provider never got it: send it again
        return False
    return _apply(deps, issuer, inv, outcome, now)


def _submit(deps: Deps, issuer: InvoiceIssuer, inv: Invoice, now: datetime) -> bool:
    edition = editions.get_edition(deps, inv.edition_id)
    doc = _document(inv, edition)
    # The attempt is written first: a crash or timeout after this line is an *unknown*
    # outcome, which the next look settles by querying the orderNo.
    if not repo.move(inv, None, "system", now, expect={"submitted_at": inv.submitted_at},
                     submitted_at=now, attempts=int(inv.attempts or 0) + 1):
        return False
    try:
        submitted = issuer.submit(doc)
    except IssuerRefused as exc:
        return repo.move(inv, InvoiceStatus.FAILED.value, "system", now,
                         fail_reason=exc.reason[:300])
    # IssuerUncertain (and anything else) propagates: the submit stays recorded as unknown
    return repo.move(inv, InvoiceStatus.ISSUING.value, "system", now,
                     serial_no=submitted.serial_no)


def _apply(deps: Deps, issuer: InvoiceIssuer, inv: Invoice, outcome: Outcome,
           now: datetime) -> bool:
    if outcome.status == "pending":
        if inv.status == InvoiceStatus.REQUESTED:
            return repo.move(inv, InvoiceStatus.ISSUING.value, "system", now,
                             serial_no=outcome.serial_no or inv.serial_no)
        return False
    if outcome.status == "failed":
        serial = outcome.serial_no or inv.serial_no
        if int(inv.attempts or 0) > MAX_RETRIES:
            return repo.move(inv, InvoiceStatus.FAILED.value, "system", now,
                             fail_reason=(outcome.reason or "开票失败")[:300], serial_no=serial)
        if not repo.move(inv, InvoiceStatus.ISSUING.value if inv.status != InvoiceStatus.ISSUING
                         else None, "system", now, expect={"attempts": inv.attempts},
                         attempts=int(inv.attempts or 0) + 1, serial_no=serial,
                         fail_reason=(outcome.reason or "开票失败")[:300]):
            return False
        issuer.retry(str(inv.order_no), serial)  # same orderNo: the provider issues it again
        return True
    return _issued(deps, issuer, inv, outcome, now)


def _issued(deps: Deps, issuer: InvoiceIssuer, inv: Invoice, outcome: Outcome,
            now: datetime) -> bool:
    """Keep the provider's documents, then record the number: until the PDF is stored the
    invoice stays issuing (the next look fetches it again)."""
    if not outcome.number or "pdf" not in outcome.documents:
        logger.warning("issued without number or PDF yet", extra={"invoice_id": inv.invoice_id})
        return False
    store = _storage(deps)
    keys: dict[str, str | None] = {"pdf_key": inv.pdf_key, "ofd_key": None, "xml_key": None}
    for kind, url in outcome.documents.items():
        if kind not in DOCUMENT_TYPES:
            continue
        try:
            content = issuer.fetch(url)
        except Exception:
            if kind == "pdf":
                raise
            logger.warning("document not fetched", extra={"invoice_id": inv.invoice_id, "kind": kind})
            continue
        key = inv.pdf_key if kind == "pdf" else f"{inv.edition_id}/{inv.invoice_id}.{kind}"
        store.put_object(BUCKET, key, content, DOCUMENT_TYPES[kind],
                         metadata={"invoice-number": outcome.number})
        keys[f"{kind}_key"] = key
    moved = repo.move(inv, InvoiceStatus.ISSUED.value, "system", now,
                      invoice_number=outcome.number, provider_issued_at=outcome.issued_at or now,
                      serial_no=outcome.serial_no or inv.serial_no, fail_reason=None,
                      pdf_ready_at=now, ofd_key=keys["ofd_key"], xml_key=keys["xml_key"])
    if not moved:
        return False
    edition = editions.get_edition(deps, inv.edition_id)
    to = owner_email(inv.owner_sub)
    if to and inv.kind == InvoiceKind.BLUE:
        mail.queue_mail(deps, f"invoice.issued#{inv.invoice_id}", to, "invoice.issued",
                        {"edition_title": edition.title, "order_id": inv.order_id,
                         "invoice_no": outcome.number, "title": inv.title,
                         "amount_yuan": yuan(int(inv.amount_fen))}, now)
    if inv.reverse_when_issued and inv.kind == InvoiceKind.BLUE:
        reverse(deps, inv.invoice_id, inv.reverse_when_issued, "system", now,
                red_reason=RED_REASONS["refund"])
    return True


def advance_one(deps: Deps, inv: Invoice, now: datetime) -> bool:
    """The issuing job's step for one invoice (errors logged: the next run tries again)."""
    try:
        return advance(deps, inv, now)
    except Exception:
        logger.exception("invoice not advanced", extra={"invoice_id": inv.invoice_id})
        return False


def retry_failed(deps: Deps, invoice_id: str, actor: str, now: datetime) -> dict[str, Any]:
    """Finance: a failed invoice goes through the provider again, with the same orderNo
    (reInvoice when the provider had accepted it, a fresh submit when it had refused it)."""
    inv = repo.get(invoice_id)
    if inv is None:
        raise InvoiceNotFoundError()
    if inv.status != InvoiceStatus.FAILED:
        raise ConflictError("只有开具失败的发票可以重试", code="INVOICE_NOT_FAILED", status=inv.status)
    issuer = _issuer(deps)
    if inv.serial_no:
        if repo.move(inv, InvoiceStatus.ISSUING.value, actor, now, attempts=1, fail_reason=None):
            issuer.retry(str(inv.order_no), inv.serial_no)
    elif repo.move(inv, InvoiceStatus.REQUESTED.value, actor, now, attempts=0, fail_reason=None,
                   submitted_at=None):
        # Refused at submit: the provider has no such orderNo, so it is submitted again.
        _follow(deps, inv, now)
    return view(inv)


def get_invoice(invoice_id: str, user_sub: str, is_staff: bool) -> Invoice:
    inv = repo.get(invoice_id)
    if inv is None or (not is_staff and inv.owner_sub != user_sub):
        raise InvoiceNotFoundError()
    return inv


def invoice_detail(invoice_id: str, user_sub: str, is_staff: bool, deps: Deps | None = None,
                   now: datetime | None = None) -> dict[str, Any]:
    """One invoice, for its owner or finance. While it is with the provider, the owner's
    read also looks at the provider (at most every CHECK_EVERY_S), so a waiting page sees
    `issued` without waiting for the job."""
    inv = get_invoice(invoice_id, user_sub, is_staff)
    if deps is not None and now is not None and inv.status in IN_FLIGHT and (
            inv.checked_at is None or (now - inv.checked_at).total_seconds() >= CHECK_EVERY_S):
        _advance_quietly(deps, inv, now)
    return view(inv)


def download(deps: Deps, invoice_id: str, user_sub: str, is_staff: bool,
             now: datetime, kind: str = "pdf") -> dict[str, Any]:
    """A short-lived link to the provider's document (PDF; OFD or XML where it gave them).
    An invoice still with the provider is looked at once more first."""
    inv = get_invoice(invoice_id, user_sub, is_staff)
    if inv.status in IN_FLIGHT:
        _follow(deps, inv, now)
    if inv.status not in (InvoiceStatus.ISSUED, InvoiceStatus.REVERSED) or inv.pdf_ready_at is None:
        raise ConflictError("发票正在开具，开具后即可下载，请稍后再试", code="INVOICE_PDF_PENDING",
                            status=inv.status)
    key = {"pdf": inv.pdf_key, "ofd": inv.ofd_key, "xml": inv.xml_key}.get(kind)
    if not key:
        raise NotFoundError(f"该发票没有 {kind.upper()} 版式文件", code="DOCUMENT_NOT_FOUND")
    label = "红字发票" if inv.kind == InvoiceKind.RED else "电子发票"
    return _storage(deps).presigned_get(BUCKET, key, LINK_TTL_S, now,  # type: ignore[no-any-return]
                                        filename=f"{label}-{inv.invoice_number or inv.invoice_no}.{kind}",
                                        content_type=DOCUMENT_TYPES[kind])


def list_mine(user_sub: str) -> dict[str, Any]:
    """The caller's invoices, newest first (one list: an account has a handful)."""
    return page_out("invoices", [view(i) for i in repo.list_by_owner(user_sub)], None)


def list_for_finance(deps: Deps, edition_id: str | None, limit: int,
                     token: str | None) -> dict[str, Any]:
    """One page of an edition's invoices (default: the current edition), newest first."""
    edition_id = edition_id or editions.current_edition_id(deps)
    items, next_token = repo.list_by_edition(edition_id, limit, token)
    return page_out("invoices", [view(i) for i in items], next_token)


def reverse(deps: Deps, invoice_id: str, reason: str, actor: str, now: datetime,
            red_reason: str | None = None) -> dict[str, Any]:
    """Finance cancels an issued invoice with a red-letter (negative) one, which the
    provider issues (红字确认单 + 快捷红冲); the order may then be invoiced afresh (within a
    window counted again from now)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("红冲须填写原因", field="reason")
    original = repo.get(invoice_id)
    if original is None:
        raise InvoiceNotFoundError()
    if original.kind != InvoiceKind.BLUE:
        raise ConflictError("红字发票不能再红冲", code="CANNOT_REVERSE_RED")
    if original.status == InvoiceStatus.REVERSED:
        raise AlreadyReversedError(reversed_by_invoice_id=original.reversed_by_id)
    if original.status != InvoiceStatus.ISSUED:
        raise ConflictError("发票尚未开具，不能红冲", code="INVOICE_NOT_ISSUED", status=original.status)
    edition = editions.get_edition(deps, original.edition_id)
    red_id = new_id("I")
    red = Invoice(
        invoice_id=red_id, invoice_no="", series=original.series, seq=0,
        kind=InvoiceKind.RED.value, status=InvoiceStatus.REQUESTED.value,
        order_id=original.order_id, order_kind=original.order_kind,
        edition_id=original.edition_id, owner_sub=original.owner_sub,
        buyer_type=original.buyer_type, title=original.title, credit_code=original.credit_code,
        item=original.item, quantity=original.quantity, amount_fen=-int(original.amount_fen),
        official_card=original.official_card, channel=original.channel,
        paid_at=original.paid_at, issued_at=now, issued_by=actor,
        reverses_id=original.invoice_id, reverses_no=original.invoice_no, reason=reason,
        red_reason=red_reason or RED_REASONS["correction"],
        issuer="nuonuo", pdf_key=f"{original.edition_id}/{red_id}.pdf")
    repo.reverse(original, red, reason, actor, now, edition.invoicing.order_no_prefix)
    _follow(deps, red, now)
    to = owner_email(original.owner_sub)
    if to and original.paid_at is not None:
        closes = rules.window_closes(original.paid_at, edition.invoice_window_months, now)
        mail.queue_mail(deps, f"invoice.reversed#{original.invoice_id}", to, "invoice.reversed",
                        {"order_id": original.order_id,
                         "invoice_no": original.invoice_number or original.invoice_no,
                         "red_no": red.invoice_number or f"{red.invoice_no}（开具中）", "reason": reason,
                         "deadline": _last_second(closes)}, now)
    return {"reversal": view(red), "original": view(original)}


def reverse_for_refund(deps: Deps, order_id: str, actor: str, now: datetime) -> dict[str, Any] | None:
    """For the refunds feature: when an order's money went back, its live invoice (if any)
    is reversed with a red-letter invoice; one still with the provider is marked to be
    reversed as soon as it is issued. Idempotent: None when there is nothing to do now."""
    invoice_id = repo.live_invoice_id(order_id)
    if invoice_id is None:
        return None
    inv = repo.get(invoice_id)
    if inv is not None and inv.status != InvoiceStatus.ISSUED:
        if not inv.reverse_when_issued and inv.status != InvoiceStatus.REVERSED:
            repo.move(inv, None, actor, now, reverse_when_issued=REFUND_REASON)
        return None
    try:
        return reverse(deps, invoice_id, REFUND_REASON, actor, now, red_reason=RED_REASONS["refund"])
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
         "paid_at": notice_time(order.paid_at),
         "deadline": _last_second(closes)}, now))

