"""Reports and read-only lists the web front end needs (see reports/service.py)."""
from __future__ import annotations

from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.platform.http import Ctx, route
from chalicelib.reports import exports, service as reports
from chalicelib.reports.models import ExportQuery, OpenTransfersOut, OpenTransfersQuery, SummaryOut, SummaryQuery, UnitRegistrationsOut

bp = Blueprint(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@route(bp, "/admin/reports/summary", summary="统计报表：报名至证书漏斗、每日报名、各渠道收入",
       roles=("admin",), query=SummaryQuery, response=SummaryOut, tags=("reports",), errors=(404,))
def summary(ctx: Ctx) -> SummaryOut:
    return SummaryOut.model_validate(reports.summary(ctx.deps, ctx.query.edition_id, ctx.now))


@route(bp, "/unit/registrations", summary="本单位职工的本届报名（可否加入集体订单及原因）",
       roles=("unit",), response=UnitRegistrationsOut, tags=("payments",), errors=(403,))
def unit_registrations(ctx: Ctx) -> UnitRegistrationsOut:
    return UnitRegistrationsOut.model_validate(reports.unit_registrations(ctx.deps, ctx.user.sub, ctx.now))


@route(bp, "/admin/transfers/open", summary="待财务确认的银行转账订单（集体与个人，最早的在前）",
       roles=("finance", "admin"), query=OpenTransfersQuery, response=OpenTransfersOut,
       tags=("finance",))
def open_transfers(ctx: Ctx) -> OpenTransfersOut:
    return OpenTransfersOut.model_validate(reports.open_transfers(ctx.deps, ctx.query.kind))


@route(bp, "/admin/exports/{name}",
       summary="导出 XLSX：registrations 报名名单、payments 交费记录、refunds 退费记录、"
               "invoices 发票记录、certificates 证书发放（金额为元，时间为北京时间）",
       roles=("admin", "finance"), query=ExportQuery, tags=("reports",), errors=(404,),
       response={"type": "string", "format": "binary"}, media_type=XLSX)
def export(ctx: Ctx, name: str) -> Response:
    data, filename, fallback = exports.export_xlsx(ctx.deps, name, ctx.query.edition_id, ctx.now)
    # RFC 6266 / RFC 5987: an ASCII name for old clients, the Chinese one as filename*
    return Response(body=data, status_code=200, headers={
        "Content-Type": XLSX, "Cache-Control": "no-store",
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; "
                               f"filename*=UTF-8''{quote(filename)}"})
