"""Reports and read-only lists the web front end needs (see reports/service.py)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.platform.http import Ctx, route
from chalicelib.reports import service as reports
from chalicelib.reports.models import OpenTransfersOut, OpenTransfersQuery, SummaryOut, SummaryQuery, UnitRegistrationsOut

bp = Blueprint(__name__)


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
