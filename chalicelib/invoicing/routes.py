"""E-invoices: the owner of a paid order asks for its invoice and downloads it; finance
lists them and reverses one with a red-letter invoice."""
from __future__ import annotations

from typing import Annotated, Any

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.platform.http import Ctx, route
from chalicelib.platform.schemas import Body, LongText, Text
from chalicelib.invoicing import service as invoices

bp = Blueprint(__name__)
OWNERS = ("trainee", "unit")
FINANCE = ("finance", "admin")
STAFF = ("finance", "admin")


class InvoiceIn(Body):
    order_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    title: Text
    credit_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None


class ReverseIn(Body):
    reason: LongText


class InvoiceListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edition_id: str | None = Field(default=None, max_length=32)
    limit: int = Field(default=50, ge=1, le=200)
    next_token: str | None = Field(default=None, max_length=2000)


INVOICE_OUT = {
    "type": "object",
    "required": ["invoice_id", "invoice_no", "kind", "status", "order_id", "title", "item",
                 "amount_fen", "issued_at"],
    "properties": {
        "invoice_id": {"type": "string"}, "invoice_no": {"type": "string"},
        "kind": {"type": "string", "enum": ["blue", "red"]},
        "status": {"type": "string", "enum": ["issued", "reversed"]},
        "order_id": {"type": "string"}, "edition_id": {"type": "string"},
        "buyer_type": {"type": "string", "enum": ["individual", "unit"]},
        "title": {"type": "string"}, "credit_code": {"type": ["string", "null"]},
        "item": {"type": "string"}, "quantity": {"type": "integer"},
        "amount_fen": {"type": "integer"}, "official_card": {"type": "boolean"},
        "issued_at": {"type": "string"},
        "reverses_invoice_id": {"type": ["string", "null"]},
        "reverses_no": {"type": ["string", "null"]},
        "reversed_by_invoice_id": {"type": ["string", "null"]},
        "reversed_at": {"type": ["string", "null"]}, "reason": {"type": ["string", "null"]},
        "pdf_ready": {"type": "boolean"},
    },
}
INVOICE_LIST_OUT = {"type": "object", "required": ["invoices"],
                    "properties": {"invoices": {"type": "array", "items": INVOICE_OUT},
                                   "next_token": {"type": ["string", "null"]}}}
LINK_OUT = {"type": "object", "required": ["url", "expires_at"],
            "properties": {"url": {"type": "string"}, "expires_at": {"type": "string"}}}
REVERSE_OUT = {"type": "object", "required": ["reversal", "original"],
               "properties": {"reversal": INVOICE_OUT, "original": INVOICE_OUT}}


@route(bp, "/invoices", "POST", summary="为已交费订单申请电子发票（交费后一个月内）", roles=OWNERS,
       body=InvoiceIn, response=INVOICE_OUT, status=201, tags=("invoice",), errors=(404, 409))
def request_invoice(ctx: Ctx) -> dict[str, Any]:
    body: InvoiceIn = ctx.body
    return invoices.request_invoice(ctx.deps, ctx.user.sub, body.order_id, body.title,
                                    body.credit_code, ctx.now)


@route(bp, "/invoices/mine", summary="我的电子发票", roles=OWNERS, response=INVOICE_LIST_OUT,
       tags=("invoice",))
def mine(ctx: Ctx) -> dict[str, Any]:
    return invoices.list_mine(ctx.user.sub)


@route(bp, "/invoices/{invoice_id}", summary="发票详情", roles=(*OWNERS, *STAFF),
       response=INVOICE_OUT, tags=("invoice",), errors=(404,))
def detail(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    return invoices.invoice_detail(invoice_id, ctx.user.sub, ctx.user.has(*STAFF))


@route(bp, "/invoices/{invoice_id}/download", summary="发票 PDF 的短时下载链接",
       roles=(*OWNERS, *STAFF), response=LINK_OUT, tags=("invoice",), errors=(404, 409))
def download(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    return invoices.download(ctx.deps, invoice_id, ctx.user.sub, ctx.user.has(*STAFF), ctx.now)


@route(bp, "/admin/invoices", summary="本届已开具的发票（最新在前，分页）", roles=FINANCE,
       query=InvoiceListQuery, response=INVOICE_LIST_OUT, tags=("invoice",))
def finance_list(ctx: Ctx) -> dict[str, Any]:
    q: InvoiceListQuery = ctx.query
    return invoices.list_for_finance(ctx.deps, q.edition_id, q.limit, q.next_token)


@route(bp, "/admin/invoices/{invoice_id}/reverse", "POST", summary="红冲发票（开具红字发票，订单可重新开票）",
       roles=FINANCE, body=ReverseIn, response=REVERSE_OUT, tags=("invoice",), errors=(404, 409))
def reverse(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    return invoices.reverse(ctx.deps, invoice_id, ctx.body.reason, ctx.user.sub, ctx.now)
