"""The current edition (anyone) and, for admins, editions and the members roster."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.editions import service as editions
from chalicelib.platform.errors import PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError
from chalicelib.platform.http import Ctx, route
from chalicelib.platform.paging import page_out

if TYPE_CHECKING:
    from chalicelib.editions.models import EditionSavedOut, EditionWriteIn, MembersOut, MembersQuery, UpsertedOut

# The models by import string, and the roster module inside its views: the public
# GET /editions/current (every visitor's first request) builds neither the roster's models
# (EmailStr: email-validator) nor loads the roster import (platform/http.py).
MODELS = "chalicelib.editions.models"
bp = Blueprint(__name__)
ADMIN = ("admin",)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_TYPES = ("text/csv", XLSX, "application/octet-stream")
MAX_UPLOAD = 5 * 1024 * 1024


@route(bp, "/editions/current", summary="当前届次：日历、费用、课程、汇款账户、联系方式",
       response=f"{MODELS}:EDITION_OUT", tags=("core",))
def current_edition(ctx: Ctx) -> dict[str, Any]:
    return editions.current_public_view(ctx.deps, ctx.now)  # no model built (editions/public.py)


@route(bp, "/admin/members", "POST", summary="新增或更新会员名册行", roles=ADMIN, body=f"{MODELS}:MembersIn",
       response=f"{MODELS}:UpsertedOut", tags=("admin",))
def upsert_members(ctx: Ctx) -> UpsertedOut:
    from chalicelib.editions import members
    from chalicelib.editions.models import UpsertedOut
    rows = [r.model_dump(mode="json") for r in ctx.body.members]
    return UpsertedOut(**members.upsert_members(rows, ctx.user.sub, ctx.now))


@route(bp, "/admin/members", summary="会员名册：分页列出，或按邮箱、手机号、姓名、会员号查找",
       roles=ADMIN, query=f"{MODELS}:MembersQuery", response=f"{MODELS}:MembersOut",
       tags=("admin",))
def list_members(ctx: Ctx) -> MembersOut:
    from chalicelib.editions.models import MembersOut
    q: MembersQuery = ctx.query
    rows, next_token = editions.list_members(q.q, q.limit, q.next_token)
    return MembersOut.model_validate(page_out("members", rows, next_token))


@route(bp, "/admin/members/template", summary="会员名册导入模板（XLSX：表头与填写说明）",
       roles=ADMIN, tags=("admin",), response={"type": "string", "format": "binary"},
       media_type=XLSX)
def members_template(ctx: Ctx) -> Response:
    data, filename = editions.roster_template_xlsx()
    return Response(body=data, status_code=200, headers={
        "Content-Type": XLSX, "Cache-Control": "no-store",
        "Content-Disposition": f"attachment; filename=\"members-template.xlsx\"; "
                               f"filename*=UTF-8''{quote(filename)}"})


@route(bp, "/admin/members/import", "POST", summary="导入会员名册（CSV 或 XLSX）", roles=ADMIN,
       content_types=UPLOAD_TYPES, raw=True, response=f"{MODELS}:UpsertedOut", tags=("admin",),
       body={"type": "string", "format": "binary"})
def import_members(ctx: Ctx) -> UpsertedOut:
    from chalicelib.editions import members
    from chalicelib.editions.models import UpsertedOut
    content = read_upload(ctx.request)
    ctype = (ctx.request.headers.get("content-type") or "").split(";")[0].strip()
    rows = members.parse_roster(content, ctype)
    if not rows:
        raise ValidationError("文件中没有数据行", field="file")
    return UpsertedOut(**members.upsert_members(rows, ctx.user.sub, ctx.now))


def read_upload(request: Any) -> bytes:
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip()
    if ctype not in UPLOAD_TYPES:
        raise UnsupportedMediaTypeError("请上传 CSV（text/csv）或 XLSX 文件")
    content = request.raw_body or b""
    if len(content) > MAX_UPLOAD:
        raise PayloadTooLargeError("文件不能超过 5 MB")
    if not content:
        raise ValidationError("文件为空", field="file")
    return bytes(content)


@route(bp, "/admin/editions", "POST", summary="新建届次（窗口按通知顺序校验）", roles=ADMIN,
       body=f"{MODELS}:EditionWriteIn", response=f"{MODELS}:EditionSavedOut", status=201,
       tags=("admin",), errors=(409,))
def create_edition(ctx: Ctx) -> EditionSavedOut:
    from chalicelib.editions.models import EditionSavedOut
    b: EditionWriteIn = ctx.body
    return EditionSavedOut(**editions.save_edition(ctx.deps, b.edition, ctx.user.sub, ctx.now,
                                                   create=True, make_current=b.make_current))


@route(bp, "/admin/editions/{edition_id}", "PUT", summary="修改届次", roles=ADMIN,
       body=f"{MODELS}:EditionWriteIn", response=f"{MODELS}:EditionSavedOut", tags=("admin",),
       errors=(404, 409))
def update_edition(ctx: Ctx, edition_id: str) -> EditionSavedOut:
    from chalicelib.editions.models import EditionSavedOut
    b: EditionWriteIn = ctx.body
    return EditionSavedOut(**editions.save_edition(
        ctx.deps, b.edition, ctx.user.sub, ctx.now, create=False, edition_id=edition_id,
        expected_version=b.expected_version, make_current=b.make_current))


@route(bp, "/admin/editions/{edition_id}", summary="读取届次（含完整数据；时间为北京时间 +08:00，version 供保存时比对）", roles=ADMIN,
       response=f"{MODELS}:EDITION_OUT", tags=("admin",), errors=(404,))
def get_edition(ctx: Ctx, edition_id: str) -> dict[str, Any]:
    return editions.admin_view(ctx.deps, edition_id)
