"""Routes of learning (选学, catalogue, playback, heartbeat), the questionnaire, the
certificate and its public verification. Each: parse -> one service call -> serialise.
Certificate PDFs, fonts, QR codes and XLSX are imported by the services only when made."""
from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from chalicelib.platform.http import Ctx, route
from chalicelib.platform.schemas import Body, LongText
from chalicelib.certificates import service as certificates
from chalicelib.learning import service as learning, questionnaire

bp = Blueprint(__name__)
TRAINEE = ("trainee",)
ADMIN = ("admin",)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class HeartbeatIn(Body):
    position_s: float = Field(ge=0, le=1_000_000, description="播放器当前位置（秒）")
    token: str | None = Field(default=None, max_length=80,
                              description="上一次心跳（或 play）应答中的 token，原样带回")


Answer = StrictInt | Annotated[str, StringConstraints(max_length=4000)]  # true is not 1


class AnswersIn(Body):
    answers: dict[Annotated[str, StringConstraints(max_length=40)], Answer] = Field(
        max_length=200)


class RevokeIn(Body):
    reason: LongText


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edition_id: str | None = Field(default=None, max_length=32)


COURSE_OUT = {
    "type": "object",
    "required": ["course_id", "title", "hours", "credited_s", "required_s", "completed"],
    "properties": {
        "course_id": {"type": "string"}, "title": {"type": "string"},
        "hours": {"type": "number"}, "duration_s": {"type": "integer"},
        "credited_s": {"type": "integer"}, "required_s": {"type": "integer"},
        "position_s": {"type": "integer"}, "completed": {"type": "boolean"},
        "completed_at": {"type": ["string", "null"]}, "token": {"type": ["string", "null"]},
    },
}
COURSES_OUT = {
    "type": "object", "required": ["courses", "enrolled"],
    "properties": {"courses": {"type": "array", "items": COURSE_OUT},
                   "enrolled": {"type": "boolean"}, "registration_id": {"type": "string"},
                   "completed_count": {"type": "integer"}, "all_completed": {"type": "boolean"},
                   "required_share": {"type": "number"}, "learning_open": {"type": "boolean"},
                   "heartbeat_interval_s": {"type": "integer"}},
}
LINK_OUT = {"type": "object", "required": ["url", "expires_at"],
            "properties": {"url": {"type": "string"}, "expires_at": {"type": "string"}}}
PLAY_OUT = {"type": "object", "required": ["url", "expires_at", "token"],
            "properties": {**LINK_OUT["properties"], "course_id": {"type": "string"},  # type: ignore[dict-item]
                           "position_s": {"type": "integer"}, "credited_s": {"type": "integer"},
                           "required_s": {"type": "integer"}, "completed": {"type": "boolean"},
                           "token": {"type": "string"},
                           "heartbeat_interval_s": {"type": "integer"}}}
HEARTBEAT_OUT = {
    "type": "object", "required": ["credited_s", "completed", "token"],
    "properties": {"course_id": {"type": "string"}, "credited_s": {"type": "integer"},
                   "required_s": {"type": "integer"}, "completed": {"type": "boolean"},
                   "credit_s": {"type": "integer"}, "accepted": {"type": "boolean"},
                   "position_s": {"type": "integer"}, "token": {"type": "string"},
                   "heartbeat_interval_s": {"type": "integer"}},
}
QUESTION_OUT = {
    "type": "object", "required": ["question_id", "type", "text", "required"],
    "properties": {"question_id": {"type": "string"},
                   "type": {"type": "string", "enum": ["rating", "text"]},
                   "text": {"type": "string"}, "course_id": {"type": ["string", "null"]},
                   "required": {"type": "boolean"}},
}
QUESTIONNAIRE_OUT = {
    "type": "object", "required": ["questions", "submitted", "can_submit"],
    "properties": {"questions": {"type": "array", "items": QUESTION_OUT},
                   "submitted": {"type": "boolean"}, "can_submit": {"type": "boolean"},
                   "unmet": {"type": "array", "items": {"type": "string"}}},
}
RESPONSE_OUT = {"type": "object", "required": ["registration_id", "submitted"],
                "properties": {"registration_id": {"type": "string"},
                               "submitted": {"type": "boolean"},
                               "submitted_at": {"type": "string"}, "answers": {"type": "object"}}}
CERT_MINE_OUT = {
    "type": "object", "required": ["eligible", "unmet", "state"],
    "properties": {"eligible": {"type": "boolean"},
                   "unmet": {"type": "array", "items": {"type": "string"}},
                   "state": {"type": "string", "enum": ["not_eligible", "eligible", "issued",
                                                        "revoked", "expired"]},
                   "certificate_no": {"type": ["string", "null"]},
                   "issued_at": {"type": ["string", "null"]},
                   "download_open": {"type": "boolean"}, "hours": {"type": "number"}},
}
CERT_LINK_OUT = {"type": "object", "required": ["url", "expires_at", "certificate_no"],
                 "properties": {**LINK_OUT["properties"],  # type: ignore[dict-item]
                                "certificate_no": {"type": "string"},
                                "issued_at": {"type": "string"}}}
VERIFY_OUT = {
    "type": "object", "required": ["genuine", "status", "holder_name", "hours", "edition",
                                   "issued_at"],
    "properties": {"genuine": {"type": "boolean"},
                   "status": {"type": "string", "enum": ["issued", "revoked"]},
                   "certificate_no": {"type": "string"}, "holder_name": {"type": "string"},
                   "hours": {"type": "number"}, "edition": {"type": "string"},
                   "edition_id": {"type": "string"}, "issued_at": {"type": "string"},
                   "revoked_at": {"type": ["string", "null"]},
                   "revoke_reason": {"type": ["string", "null"]}},
}


# --- learning -------------------------------------------------------------------------
@route(bp, "/learning/courses", summary="课程目录与本人学习进度", roles=TRAINEE,
       response=COURSES_OUT, tags=("learning",))
def courses(ctx: Ctx) -> dict[str, Any]:
    return learning.list_courses(ctx.deps, ctx.user.sub, ctx.now)


@route(bp, "/learning/enroll", "POST", summary="选学（交费成功后、在线学习期间）", roles=TRAINEE,
       response=COURSES_OUT, tags=("learning",), errors=(409,))
def enroll(ctx: Ctx) -> dict[str, Any]:
    return learning.enroll(ctx.deps, ctx.user.sub, ctx.now)


@route(bp, "/learning/courses/{course_id}/play", summary="课程视频的短时播放地址（仅在线播放）",
       roles=TRAINEE, response=PLAY_OUT, tags=("learning",), errors=(404, 409))
def play(ctx: Ctx, course_id: str) -> dict[str, Any]:
    return learning.play(ctx.deps, ctx.user.sub, course_id, ctx.now)


@route(bp, "/learning/courses/{course_id}/heartbeat", "POST", summary="播放心跳：累计有效学习时长",
       roles=TRAINEE, body=HeartbeatIn, response=HEARTBEAT_OUT, tags=("learning",),
       errors=(404, 409))
def heartbeat(ctx: Ctx, course_id: str) -> dict[str, Any]:
    return learning.heartbeat(ctx.deps, ctx.user.sub, course_id, ctx.body.position_s,
                              ctx.body.token, ctx.now)


# --- questionnaire ----------------------------------------------------------------------
@route(bp, "/questionnaire", summary="问卷题目与本人填写状态", roles=TRAINEE,
       response=QUESTIONNAIRE_OUT, tags=("questionnaire",))
def get_questionnaire(ctx: Ctx) -> dict[str, Any]:
    return questionnaire.get_questionnaire(ctx.deps, ctx.user.sub, ctx.now)


@route(bp, "/questionnaire/responses", "POST", summary="提交问卷（全部课程学习完后，每人一次）",
       roles=TRAINEE, body=AnswersIn, response=RESPONSE_OUT, status=201,
       tags=("questionnaire",), errors=(409,))
def submit_questionnaire(ctx: Ctx) -> dict[str, Any]:
    return questionnaire.submit(ctx.deps, ctx.user.sub, dict(ctx.body.answers), ctx.now)


@route(bp, "/admin/questionnaire/export", summary="导出问卷结果（XLSX）", roles=ADMIN,
       query=ExportQuery, tags=("questionnaire",), errors=(404,),
       response={"type": "string", "format": "binary"}, media_type=XLSX)
def export_questionnaire(ctx: Ctx) -> Response:
    data, filename = questionnaire.export_xlsx(ctx.deps, ctx.query.edition_id)
    return Response(body=data, status_code=200, headers={
        "Content-Type": XLSX, "Cache-Control": "no-store",
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


# --- certificates ---------------------------------------------------------------------
@route(bp, "/certificates/mine", summary="本人证书：领取条件与状态", roles=TRAINEE,
       response=CERT_MINE_OUT, tags=("certificate",))
def certificate_mine(ctx: Ctx) -> dict[str, Any]:
    return certificates.mine(ctx.deps, ctx.user.sub, ctx.now)


@route(bp, "/certificates/mine/download", summary="下载证书（首次下载时颁发，仅在下载期内）",
       roles=TRAINEE, response=CERT_LINK_OUT, tags=("certificate",), errors=(409,))
def certificate_download(ctx: Ctx) -> dict[str, Any]:
    return certificates.download(ctx.deps, ctx.user.sub, ctx.now)


@route(bp, "/verify/{certificate_no}", summary="证书查验（公开）：真伪、持证人（部分隐藏）、学时",
       response=VERIFY_OUT, tags=("certificate",), errors=(404,))
def verify(ctx: Ctx, certificate_no: str) -> dict[str, Any]:
    return certificates.verify(ctx.deps, certificate_no)


@route(bp, "/admin/certificates/{certificate_no}/revoke", "POST", summary="撤销证书（须填写原因）",
       roles=ADMIN, body=RevokeIn, response=VERIFY_OUT, tags=("certificate",),
       errors=(404, 409))
def revoke(ctx: Ctx, certificate_no: str) -> dict[str, Any]:
    return certificates.revoke(ctx.deps, certificate_no, ctx.body.reason, ctx.user.sub, ctx.now)
