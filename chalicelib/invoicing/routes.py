"""E-invoices: the owner of a paid order asks for its invoice and downloads it; finance
lists them and reverses one with a red-letter invoice."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.invoicing import service as invoices
from chalicelib.invoicing.models import InvoiceIn, InvoiceListOut, InvoiceListQuery, InvoiceOut, ReverseIn, InvoiceReversalOut
from chalicelib.platform.schemas import LinkOut
from chalicelib.platform.http import Ctx, route

bp = Blueprint(__name__)
OWNERS = ("trainee", "unit")
FINANCE = ("finance", "admin")
STAFF = ("finance", "admin")


@route(bp, "/invoices", "POST", summary="为已交费订单申请电子发票（交费后一个月内）", roles=OWNERS,
       body=InvoiceIn, response=InvoiceOut, status=201, tags=("invoice",), errors=(404, 409))
def request_invoice(ctx: Ctx) -> InvoiceOut:
    body: InvoiceIn = ctx.body
    return InvoiceOut.model_validate(invoices.request_invoice(
        ctx.deps, ctx.user.sub, body.order_id, body.title, body.credit_code, ctx.now))


@route(bp, "/invoices/mine", summary="我的电子发票", roles=OWNERS, response=InvoiceListOut,
       tags=("invoice",))
def mine(ctx: Ctx) -> InvoiceListOut:
    return InvoiceListOut.model_validate(invoices.list_mine(ctx.user.sub))


@route(bp, "/invoices/{invoice_id}", summary="发票详情", roles=(*OWNERS, *STAFF),
       response=InvoiceOut, tags=("invoice",), errors=(404,))
def detail(ctx: Ctx, invoice_id: str) -> InvoiceOut:
    return InvoiceOut.model_validate(
        invoices.invoice_detail(invoice_id, ctx.user.sub, ctx.user.has(*STAFF)))


@route(bp, "/invoices/{invoice_id}/download", summary="发票 PDF 的短时下载链接",
       roles=(*OWNERS, *STAFF), response=LinkOut, tags=("invoice",), errors=(404, 409))
def download(ctx: Ctx, invoice_id: str) -> LinkOut:
    return LinkOut.model_validate(
        invoices.download(ctx.deps, invoice_id, ctx.user.sub, ctx.user.has(*STAFF), ctx.now))


@route(bp, "/admin/invoices", summary="本届已开具的发票（最新在前，分页）", roles=FINANCE,
       query=InvoiceListQuery, response=InvoiceListOut, tags=("invoice",))
def finance_list(ctx: Ctx) -> InvoiceListOut:
    q: InvoiceListQuery = ctx.query
    return InvoiceListOut.model_validate(
        invoices.list_for_finance(ctx.deps, q.edition_id, q.limit, q.next_token))


@route(bp, "/admin/invoices/{invoice_id}/reverse", "POST", summary="红冲发票（开具红字发票，订单可重新开票）",
       roles=FINANCE, body=ReverseIn, response=InvoiceReversalOut, tags=("invoice",), errors=(404, 409))
def reverse(ctx: Ctx, invoice_id: str) -> InvoiceReversalOut:
    return InvoiceReversalOut.model_validate(
        invoices.reverse(ctx.deps, invoice_id, ctx.body.reason, ctx.user.sub, ctx.now))
