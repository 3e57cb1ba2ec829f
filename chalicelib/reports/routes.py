"""Reports and read-only lists the web front end needs (see services/reports.py)."""
from __future__ import annotations

from typing import Any, Literal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.http import Ctx, route
from chalicelib.reports import service as reports

bp = Blueprint(__name__)


class SummaryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edition_id: str | None = Field(default=None, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")


class OpenTransfersQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["group", "individual"] | None = None


COUNT_ROW = {"type": "object", "properties": {"step": {"type": "string"}, "label": {"type": "string"},
                                              "count": {"type": "integer"}}}
SUMMARY_OUT = {"type": "object",
               "required": ["edition_id", "funnel", "registrations_per_day", "income_by_channel"],
               "properties": {
                   "edition_id": {"type": "string"}, "title": {"type": "string"},
                   "generated_at": {"type": "string"}, "by_status": {"type": "object"},
                   "funnel": {"type": "array", "items": COUNT_ROW},
                   "registrations_per_day": {"type": "array", "items": {
                       "type": "object", "properties": {"date": {"type": "string"},
                                                        "count": {"type": "integer"}}}},
                   "income_by_channel": {"type": "array", "items": {"type": "object"}},
                   "income_total_fen": {"type": "integer"}}}
UNIT_REGS_OUT = {"type": "object", "required": ["registrations"],
                 "properties": {"unit_name": {"type": "string"},
                                "credit_code": {"type": ["string", "null"]},
                                "registrations": {"type": "array", "items": {
                                    "type": "object", "required": ["registration_id", "payable"],
                                    "properties": {"registration_id": {"type": "string"},
                                                   "payable": {"type": "boolean"},
                                                   "problem": {"type": ["string", "null"]}}}}}}
OPEN_TRANSFERS_OUT = {"type": "object", "required": ["orders"],
                      "properties": {"orders": {"type": "array", "items": {"type": "object"}}}}


@route(bp, "/admin/reports/summary", summary="统计报表：报名至证书漏斗、每日报名、各渠道收入",
       roles=("admin",), query=SummaryQuery, response=SUMMARY_OUT, tags=("reports",), errors=(404,))
def summary(ctx: Ctx) -> dict[str, Any]:
    return reports.summary(ctx.deps, ctx.query.edition_id, ctx.now)


@route(bp, "/unit/registrations", summary="本单位职工的本届报名（可否加入集体订单及原因）",
       roles=("unit",), response=UNIT_REGS_OUT, tags=("payments",), errors=(403,))
def unit_registrations(ctx: Ctx) -> dict[str, Any]:
    return reports.unit_registrations(ctx.deps, ctx.user.sub)


@route(bp, "/admin/transfers/open", summary="待财务确认的银行转账订单（集体与个人，最早的在前）",
       roles=("finance", "admin"), query=OpenTransfersQuery, response=OPEN_TRANSFERS_OUT,
       tags=("finance",))
def open_transfers(ctx: Ctx) -> dict[str, Any]:
    return reports.open_transfers(ctx.deps, ctx.query.kind)
