"""Issuing an e-invoice document. The service numbers and records the invoice; an issuer
turns that record into the document the buyer downloads. The default issuer renders a PDF
with fpdf2; a tax-platform adapter (全电发票 / 数电票 API) can implement the same interface
later and return the platform's own number alongside the PDF. fpdf2 and the font are
imported here, only when an invoice is rendered (never on the cold-start path)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from chalicelib.invoicing.states import InvoiceKind
from chalicelib.platform.clock import shanghai
from chalicelib.platform.money import yuan

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
GROUPS = ["", "万", "亿", "万亿"]


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything printed on an invoice."""
    invoice_no: str
    kind: str  # states.InvoiceKind
    issued_at: datetime
    seller: str
    buyer_title: str
    buyer_credit_code: str | None
    item: str
    quantity: int
    amount_fen: int  # negative on a red invoice
    official_card: bool
    order_id: str
    payment_channel: str | None = None
    paid_at: datetime | None = None
    reverses_no: str | None = None
    reason: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IssuedDocument:
    content: bytes
    content_type: str = "application/pdf"
    external_no: str | None = None  # the tax platform's number, when it has one


class InvoiceIssuer(Protocol):
    name: str

    def issue(self, doc: InvoiceDocument) -> IssuedDocument:
        """Produce the document; raise on failure (the record stays, issuing is retried)."""
        ...


def _integer_words(n: int) -> str:
    digits = str(n)
    out, zero, group_has = "", False, False
    for i, ch in enumerate(digits):
        d, pos = int(ch), len(digits) - 1 - i
        if d == 0:
            zero = True
        else:
            if zero and out:
                out += "零"
            zero = False
            out += DIGITS[d] + UNITS[pos % 4]
            group_has = True
        if pos % 4 == 0 and pos > 0:
            if group_has:
                out += GROUPS[pos // 4]
            group_has = False
    return out


def amount_in_words(fen: int) -> str:
    """大写金额: 49000 -> 肆佰玖拾圆整; 12345 -> 壹佰贰拾叁圆肆角伍分; negatives get 负."""
    prefix = "负" if fen < 0 else ""
    fen = abs(fen)
    integer, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    words = _integer_words(integer) + "圆" if integer else ""
    if not jiao and not cents:
        return prefix + (words or "零圆") + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if cents:
        words += DIGITS[cents] + "分"
    return prefix + words


class PdfInvoiceIssuer:
    """The default issuer: an A5-landscape style PDF with the platform's own number."""
    name = "pdf"

    def issue(self, doc: InvoiceDocument) -> IssuedDocument:
        return IssuedDocument(content=render_pdf(doc))


def render_pdf(doc: InvoiceDocument) -> bytes:
    from fpdf import FPDF

    from chalicelib.platform.fonts import cjk_face_index, cjk_font_path

    path = cjk_font_path()
    pdf = FPDF(orientation="L", unit="mm", format=(148, 210))  # A5
    pdf.set_auto_page_break(False)
    pdf.set_title(f"电子发票 {doc.invoice_no}")
    pdf.set_creator("中国图书馆学会 在职培训平台")
    pdf.add_font("cjk", fname=str(path), collection_font_number=cjk_face_index(path))
    pdf.add_page()
    red = doc.kind == InvoiceKind.RED
    ink = (170, 30, 30) if red else (120, 70, 20)
    pdf.set_draw_color(*ink)
    pdf.set_text_color(*ink)
    pdf.set_font("cjk", size=16)
    title = "电子发票（红字）" if red else "电子发票（普通发票）"
    pdf.set_xy(10, 10)
    pdf.cell(190, 9, title, align="C")
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(40, 40, 40)
    pdf.set_xy(140, 20)
    pdf.cell(60, 5, f"发票号码：{doc.invoice_no}")
    pdf.set_xy(140, 25)
    pdf.cell(60, 5, f"开票日期：{shanghai(doc.issued_at).strftime('%Y年%m月%d日')}")

    top = 32
    pdf.rect(10, top, 190, 96)
    rows: list[tuple[str, str]] = [
        ("购买方名称", doc.buyer_title),
        ("统一社会信用代码", doc.buyer_credit_code or "—（个人）"),
        ("销售方名称", doc.seller),
    ]
    y = top + 2
    for label, value in rows:
        pdf.set_xy(14, y)
        pdf.cell(36, 7, label)
        pdf.cell(140, 7, value)
        y += 7
    pdf.line(10, y + 1, 200, y + 1)
    y += 3
    pdf.set_xy(14, y)
    for text, width in (("项目名称", 70), ("数量", 20), ("金额（元）", 40), ("备注", 50)):
        pdf.cell(width, 7, text)
    y += 8
    pdf.set_xy(14, y)
    pdf.set_font("cjk", size=11)
    pdf.cell(70, 7, doc.item)
    pdf.cell(20, 7, str(doc.quantity))
    pdf.cell(40, 7, yuan(doc.amount_fen, grouping=True))
    pdf.set_font("cjk", size=9)
    pdf.cell(50, 7, "公务卡" if doc.official_card else "")
    y += 12
    pdf.line(10, y, 200, y)
    y += 2
    pdf.set_xy(14, y)
    pdf.cell(36, 7, "价税合计（大写）")
    pdf.cell(90, 7, amount_in_words(doc.amount_fen))
    pdf.cell(50, 7, f"（小写）¥{yuan(doc.amount_fen, grouping=True)}")
    y += 9
    notes = [f"订单号：{doc.order_id}", *doc.notes]
    if doc.official_card:
        notes.append("公务卡消费：本笔费用以公务卡支付")
    if doc.paid_at is not None:
        notes.append(f"交费时间：{shanghai(doc.paid_at).strftime('%Y-%m-%d %H:%M')}")
    if red and doc.reverses_no:
        notes.append(f"对应蓝字发票号码：{doc.reverses_no}")
        if doc.reason:
            notes.append(f"冲红原因：{doc.reason}")
    pdf.set_xy(14, y)
    pdf.cell(20, 6, "备注")
    pdf.set_xy(34, y)
    pdf.multi_cell(160, 5.5, "\n".join(notes))
    pdf.set_xy(10, 132)
    pdf.set_text_color(110, 110, 110)
    pdf.set_font("cjk", size=8)
    pdf.cell(190, 5, f"开票单位：{doc.seller}　　本发票由中国图书馆学会在职培训平台开具", align="C")
    return bytes(pdf.output())


def invoice_issuer(deps: Any) -> InvoiceIssuer:
    """The per-process issuer (the PDF issuer unless a test or a deployment swaps it)."""
    return deps.adapter("invoice_issuer", lambda d: PdfInvoiceIssuer())  # type: ignore[no-any-return]
