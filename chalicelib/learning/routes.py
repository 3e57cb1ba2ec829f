"""Routes of learning (选学, catalogue, playback, heartbeat) and the questionnaire. Each:
parse -> one service call -> typed output model. XLSX is imported by the service only
when an export is made. The certificates' routes are in chalicelib/certificates/routes.py."""
from __future__ import annotations

from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.learning import media, questionnaire, service as learning
from chalicelib.learning.models import AnswersIn, CoursesOut, EnrollOut, ExportQuery, HeartbeatIn, HeartbeatOut, MediaListOut, MediaOut, PackageIn, PlaybackQuery, PlayOut, QuestionnaireOut, ResponseOut, UploadFormOut
from chalicelib.platform.http import Ctx, route

bp = Blueprint(__name__)
TRAINEE = ("trainee",)
ADMIN = ("admin",)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
M3U8 = "application/vnd.apple.mpegurl"
NO_STORE = "no-store, private"


# --- learning -------------------------------------------------------------------------
@route(bp, "/learning/courses", summary="课程目录与本人学习进度", roles=TRAINEE,
       response=CoursesOut, tags=("learning",))
def courses(ctx: Ctx) -> CoursesOut:
    return CoursesOut.model_validate(learning.list_courses(ctx.deps, ctx.user.sub, ctx.now))


@route(bp, "/learning/enroll", "POST", summary="选学（交费成功后、在线学习期间）", roles=TRAINEE,
       response=EnrollOut, tags=("learning",), errors=(409,))
def enroll(ctx: Ctx) -> EnrollOut:
    return EnrollOut.model_validate(learning.enroll(ctx.deps, ctx.user.sub, ctx.now))


@route(bp, "/learning/courses/{course_id}/play", summary="课程视频的短时播放地址（仅在线播放）",
       roles=TRAINEE, response=PlayOut, tags=("learning",), errors=(404, 409))
def play(ctx: Ctx, course_id: str) -> PlayOut:
    return PlayOut.model_validate(learning.play(ctx.deps, ctx.user.sub, course_id, ctx.now))


@route(bp, "/learning/courses/{course_id}/heartbeat", "POST", summary="播放心跳：累计有效学习时长",
       roles=TRAINEE, body=HeartbeatIn, response=HeartbeatOut, tags=("learning",),
       errors=(404, 409))
def heartbeat(ctx: Ctx, course_id: str) -> HeartbeatOut:
    return HeartbeatOut.model_validate(learning.heartbeat(
        ctx.deps, ctx.user.sub, course_id, ctx.body.position_s, ctx.body.token, ctx.now,
        session_id=ctx.body.session_id))


@route(bp, "/learning/courses/{course_id}/playlist", summary="本次播放会话的加密 HLS 播放列表",
       roles=TRAINEE, query=PlaybackQuery, tags=("learning",), errors=(404, 409),
       response={"type": "string"}, media_type=M3U8)
def playlist(ctx: Ctx, course_id: str) -> Response:
    text = learning.playlist(ctx.deps, ctx.user.sub, course_id, ctx.query.session_id, ctx.now)
    return Response(body=text, status_code=200,
                    headers={"Content-Type": M3U8, "Cache-Control": NO_STORE})


@route(bp, "/learning/courses/{course_id}/key", summary="视频解密密钥（仅本人当前播放会话、学习期间）",
       roles=TRAINEE, query=PlaybackQuery, tags=("learning",), errors=(404, 409),
       response={"type": "string", "format": "binary"}, media_type="application/octet-stream")
def key(ctx: Ctx, course_id: str) -> Response:
    data = learning.key(ctx.deps, ctx.user.sub, course_id, ctx.query.session_id, ctx.query.v,
                        ctx.now)
    return Response(body=data, status_code=200, headers={
        "Content-Type": "application/octet-stream", "Cache-Control": NO_STORE})


# --- course videos (admin) --------------------------------------------------------------
@route(bp, "/admin/courses/media", summary="各课程视频的状态（时长取自视频本身）", roles=ADMIN,
       response=MediaListOut, tags=("learning",))
def list_media(ctx: Ctx) -> MediaListOut:
    return MediaListOut.model_validate(media.list_media(ctx.deps))


@route(bp, "/admin/courses/{course_id}/video/upload", "POST", summary="上传课程视频的预签名表单",
       roles=ADMIN, response=UploadFormOut, tags=("learning",), errors=(404,))
def video_upload_form(ctx: Ctx, course_id: str) -> UploadFormOut:
    return UploadFormOut.model_validate(media.upload_form(ctx.deps, course_id, ctx.now))


@route(bp, "/admin/courses/{course_id}/video", "POST", summary="打包已上传的课程视频（加密 HLS，作业执行）",
       roles=ADMIN, body=PackageIn, response=MediaOut, status=202, tags=("learning",),
       errors=(404,))
def request_packaging(ctx: Ctx, course_id: str) -> MediaOut:
    return MediaOut.model_validate(media.request_packaging(
        ctx.deps, course_id, ctx.body.upload_key, ctx.user.sub, ctx.now))


# --- questionnaire ----------------------------------------------------------------------
@route(bp, "/questionnaire", summary="问卷题目与本人填写状态", roles=TRAINEE,
       response=QuestionnaireOut, tags=("questionnaire",))
def get_questionnaire(ctx: Ctx) -> QuestionnaireOut:
    return QuestionnaireOut.model_validate(
        questionnaire.get_questionnaire(ctx.deps, ctx.user.sub, ctx.now))


@route(bp, "/questionnaire/responses", "POST", summary="提交问卷（全部课程学习完后，每人一次）",
       roles=TRAINEE, body=AnswersIn, response=ResponseOut, status=201,
       tags=("questionnaire",), errors=(409,))
def submit_questionnaire(ctx: Ctx) -> ResponseOut:
    return ResponseOut.model_validate(
        questionnaire.submit(ctx.deps, ctx.user.sub, dict(ctx.body.answers), ctx.now))


@route(bp, "/admin/questionnaire/export", summary="导出问卷结果（XLSX）", roles=ADMIN,
       query=ExportQuery, tags=("questionnaire",), errors=(404,),
       response={"type": "string", "format": "binary"}, media_type=XLSX)
def export_questionnaire(ctx: Ctx) -> Response:
    data, filename = questionnaire.export_xlsx(ctx.deps, ctx.query.edition_id)
    return Response(body=data, status_code=200, headers={
        "Content-Type": XLSX, "Cache-Control": "no-store",
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})
