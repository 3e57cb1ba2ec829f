"""The payment receipt (交费凭证): the platform's own PDF, proving that an order was paid
(and by official card, where it was). It is not an invoice and never titled as one: the
e-invoice (数电票) comes from the tax platform (issuer.py). Rendered on request (fpdf2 and
the font are imported only here), kept in the private invoices bucket under a key that
names the order's state, downloaded through a short-lived link."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.billing import queries as billing
from chalicelib.billing.errors import OrderNotFoundError
from chalicelib.billing.states import CHANNEL_LABELS, PAID_STATES, OrderStatus
from chalicelib.editions import service as editions
from chalicelib.invoicing.issuer import amount_in_words
from chalicelib.platform.clock import shanghai
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ConflictError
from chalicelib.platform.money import yuan

BUCKET = "invoices"
LINK_TTL_S = 300
TITLE = "交费凭证"
NOTICE = "本凭证仅证明已交费，不是发票，不作报销凭证；报销请在平台申请电子发票（数电票）。"
STATE_NOTES = {OrderStatus.REFUNDING.value: "该订单已申请退费", OrderStatus.REFUNDED.value: "该订单已退费"}


def receipt_rows(order: Any, edition: Any) -> list[tuple[str, str]]:
    """What the receipt says, in order (also what the tests read)."""
    rows = [("收款单位", edition.organizer), ("培训项目", edition.title),
            ("订单号", order.order_id), ("交费人", order.payer_name or ""),
            ("单位", order.unit_name or ""), ("人数", str(len(order.registration_ids or []) or 1)),
            ("金额", f"¥{yuan(int(order.amount_fen), grouping=True)}（{amount_in_words(int(order.amount_fen))}）"),
            ("交费方式", CHANNEL_LABELS.get(order.channel, order.channel)
             + ("（公务卡）" if order.official_card else "")),
            ("交费时间", shanghai(order.paid_at).strftime("%Y年%m月%d日 %H:%M") if order.paid_at else ""),
            ("公务卡", "是，本笔费用以公务卡支付" if order.official_card else "否")]
    if order.status in STATE_NOTES:
        rows.append(("状态", STATE_NOTES[order.status]))
    return rows


def render_receipt(order: Any, edition: Any, now: datetime) -> bytes:
    from fpdf import FPDF

    from chalicelib.platform.fonts import add_cjk_font

    rows = receipt_rows(order, edition)
    issued = f"出具：{edition.organizer}　　出具时间：{shanghai(now).strftime('%Y年%m月%d日 %H:%M')}"
    pdf = FPDF(orientation="P", unit="mm", format=(148, 210))  # A5
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{TITLE} {order.order_id}")
    pdf.set_subject("交费证明")
    pdf.set_creator(f"{edition.organizer} 在职培训平台")
    # the smallest font holding every character printed (common set, else the full face)
    add_cjk_font(pdf, "cjk", TITLE, f"凭证编号：R-{order.order_id}", NOTICE, "公务卡支付", issued,
                 *(label + value for label, value in rows))
    pdf.add_page()
    ink = (30, 70, 120)
    pdf.set_draw_color(*ink)
    pdf.set_text_color(*ink)
    pdf.set_font("cjk", size=20)
    pdf.set_xy(10, 14)
    pdf.cell(128, 12, TITLE, align="C")
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(90, 90, 90)
    pdf.set_xy(10, 27)
    pdf.cell(128, 5, f"凭证编号：R-{order.order_id}", align="C")
    pdf.rect(10, 36, 128, 122)
    y = 40.0
    pdf.set_text_color(30, 30, 30)
    for label, value in rows:
        pdf.set_xy(14, y)
        pdf.set_font("cjk", size=10)
        pdf.cell(24, 7, label)
        pdf.set_xy(40, y)
        pdf.multi_cell(94, 7, value)
        y = max(y + 9, pdf.get_y() + 2)
    if order.official_card:
        pdf.set_draw_color(170, 30, 30)
        pdf.set_text_color(170, 30, 30)
        pdf.set_font("cjk", size=12)
        pdf.set_xy(96, 40)
        pdf.cell(36, 9, "公务卡支付", border=1, align="C")
    pdf.set_text_color(90, 90, 90)
    pdf.set_font("cjk", size=8)
    pdf.set_xy(14, 162)
    pdf.multi_cell(120, 4.5, NOTICE)
    pdf.set_xy(14, 175)
    pdf.cell(120, 5, issued)
    return bytes(pdf.output())


def receipt_link(deps: Deps, order_id: str, user_sub: str, is_staff: bool,
                 now: datetime) -> dict[str, Any]:
    """A short-lived link to the receipt of a paid order: its owner (the trainee, or the
    unit for a group order) or finance; anyone else's order is a 404."""
    order = billing.get_order(order_id)
    if order is None or (not is_staff and order.owner_sub != user_sub):
        raise OrderNotFoundError()
    if order.status not in PAID_STATES or order.paid_at is None:
        raise ConflictError("订单尚未交费，没有交费凭证", code="ORDER_NOT_PAID", status=order.status)
    from chalicelib.platform.storage import storage  # boto3: off the cold-start path
    store = storage(deps)
    key = f"receipts/{order.edition_id}/{order.order_id}-{order.status}.pdf"
    if not store.exists(BUCKET, key):
        edition = editions.get_edition(deps, order.edition_id)
        store.put_object(BUCKET, key, render_receipt(order, edition, now), "application/pdf")
    return store.presigned_get(BUCKET, key, LINK_TTL_S, now,  # type: ignore[no-any-return]
                               filename=f"{TITLE}-{order.order_id}.pdf",
                               content_type="application/pdf")
