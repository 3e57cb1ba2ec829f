"""Dev and test stages only: GET /dev/sms, the SMS codes the platform sent (newest first)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.dev.sms_outbox import list_sms
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.http import Ctx, route
from chalicelib.platform.text import normalise_phone

bp = Blueprint(__name__)


class SmsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str | None = Field(default=None, max_length=32)
    limit: int = Field(default=100, ge=1, le=200)


SMS_OUT = {"type": "object", "required": ["sms"],
           "properties": {"sms": {"type": "array", "items": {
               "type": "object", "required": ["to", "text", "code", "purpose", "at"],
               "properties": {"to": {"type": "string"}, "text": {"type": "string"},
                              "code": {"type": "string"}, "purpose": {"type": "string"},
                              "at": {"type": "string"}}}}}}


@route(bp, "/dev/sms", summary="平台发出的短信验证码（仅开发环境）", query=SmsQuery,
       response=SMS_OUT, tags=("dev",))
def sent_sms(ctx: Ctx) -> dict[str, Any]:
    if not ctx.deps.settings.is_dev:
        raise NotFoundError()
    to = normalise_phone(ctx.query.to) if ctx.query.to else None
    return {"sms": list_sms(to, ctx.query.limit)}
