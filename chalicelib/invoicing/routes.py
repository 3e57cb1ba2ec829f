"""E-invoices: the owner of a paid order asks for its invoice (issued by the tax-platform
provider) and downloads the provider's document; finance lists them, retries a failed one
and reverses one with a red-letter invoice. The payment receipt (交费凭证) of an order."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.invoicing import receipt, service as invoices
from chalicelib.invoicing.models import DownloadQuery, InvoiceIn, InvoiceListOut, InvoiceListQuery, InvoiceOut, ReverseIn, InvoiceReversalOut
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
        invoices.invoice_detail(invoice_id, ctx.user.sub, ctx.user.has(*STAFF), ctx.deps, ctx.now))


@route(bp, "/invoices/{invoice_id}/download", summary="数电票版式文件（服务商出具的 PDF，另有 OFD/XML 时可选）的短时下载链接",
       roles=(*OWNERS, *STAFF), query=DownloadQuery, response=LinkOut, tags=("invoice",),
       errors=(404, 409))
def download(ctx: Ctx, invoice_id: str) -> LinkOut:
    return LinkOut.model_validate(
        invoices.download(ctx.deps, invoice_id, ctx.user.sub, ctx.user.has(*STAFF), ctx.now,
                          ctx.query.format))


@route(bp, "/orders/{order_id}/receipt", summary="交费凭证 PDF 的短时下载链接（注明是否公务卡支付；不是发票）",
       roles=(*OWNERS, *STAFF), response=LinkOut, tags=("invoice",), errors=(404, 409))
def order_receipt(ctx: Ctx, order_id: str) -> LinkOut:
    return LinkOut.model_validate(
        receipt.receipt_link(ctx.deps, order_id, ctx.user.sub, ctx.user.has(*STAFF), ctx.now))


@route(bp, "/admin/invoices/{invoice_id}/retry", "POST", summary="重试开具失败的发票（同一订单号再次提交服务商）",
       roles=FINANCE, response=InvoiceOut, tags=("invoice",), errors=(404, 409))
def retry(ctx: Ctx, invoice_id: str) -> InvoiceOut:
    return InvoiceOut.model_validate(
        invoices.retry_failed(ctx.deps, invoice_id, ctx.user.sub, ctx.now))


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
