"""Local development stage only (registered only when APP_STAGE is dev/test): the dev
clock and the mailbox. Payment sandbox and job runner routes live with their features."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.clock import iso, parse_instant, system_now
from chalicelib.platform.errors import NotFoundError, ValidationError
from chalicelib.platform.http import Ctx, route
from chalicelib.platform.schemas import Body
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.deps import DEV_CLOCK_KEY
from chalicelib.platform.store.kv import put_value

bp = Blueprint(__name__)


class DevClockIn(Body):
    now: str | None = Field(default=None, max_length=40)
    reset: bool = False


class MailQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str | None = Field(default=None, max_length=254)
    limit: int = Field(default=100, ge=1, le=500)


CLOCK_OUT = {"type": "object", "required": ["now", "offset_s"],
             "properties": {"now": {"type": "string"}, "offset_s": {"type": "number"}}}


def _dev_only(ctx: Ctx) -> None:
    if not ctx.deps.settings.is_dev:
        raise NotFoundError()


@route(bp, "/dev/clock", summary="读取应用时钟（仅开发环境）", response=CLOCK_OUT, tags=("dev",))
def get_clock(ctx: Ctx) -> dict[str, Any]:
    _dev_only(ctx)
    return {"now": iso(ctx.now), "offset_s": (ctx.now - system_now()).total_seconds()}


@route(bp, "/dev/clock", "POST", summary="设置应用时钟（仅开发环境）；时间从该时刻继续流动",
       body=DevClockIn, response=CLOCK_OUT, tags=("dev",))
def set_clock(ctx: Ctx) -> dict[str, Any]:
    _dev_only(ctx)
    body: DevClockIn = ctx.body
    if body.reset:
        offset = 0.0
    elif body.now:
        try:
            target = parse_instant(body.now)
        except ValueError as exc:
            raise ValidationError("now 须为 ISO 8601 时间，例如 2026-04-05T10:00:00+08:00",
                                  field="now") from exc
        offset = (target - system_now()).total_seconds()
    else:
        raise ValidationError("请提供 now 或 reset", field="now")
    put_value(DEV_CLOCK_KEY, offset)
    now = ctx.deps.now()
    return {"now": iso(now), "offset_s": offset}


@route(bp, "/dev/mail", summary="平台发出的邮件（仅开发环境）", query=MailQuery, tags=("dev",),
       response={"type": "object", "required": ["mail"],
                 "properties": {"mail": {"type": "array", "items": {"type": "object"}}}})
def list_mail(ctx: Ctx) -> dict[str, Any]:
    _dev_only(ctx)
    return {"mail": mail.list_mail(ctx.query.to, ctx.query.limit)}
