"""Learning's errors: one class per code, raised wherever that refusal happens (the codes
and messages are the API's; the web and the tests rely on them)."""
from __future__ import annotations

from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError


class CourseNotFoundError(NotFoundError):
    code = "COURSE_NOT_FOUND"
    message = "课程不存在"


class NotEnrolledError(ConflictError):
    code = "NOT_ENROLLED"
    message = "请先选学，再观看课程视频"


class SessionSupersededError(ConflictError):
    """A heartbeat of a play session that is not the trainee's current one (a newer one was
    opened in another tab or on another device), or that names no session."""
    code = "SESSION_SUPERSEDED"
    message = "您已在其他窗口或设备开始播放，本窗口已暂停计时"


class VideoNotReadyError(ConflictError):
    """The course has no packaged (encrypted HLS) video yet."""
    code = "VIDEO_NOT_READY"
    message = "本课程视频正在准备中，请稍后再试"


class VideoReplacedError(ConflictError):
    """The player asks for the key of a video version that was replaced meanwhile."""
    code = "VIDEO_REPLACED"
    message = "本课程视频已更新，请刷新页面后继续学习"


class UploadNotFoundError(NotFoundError):
    code = "UPLOAD_NOT_FOUND"
    message = "找不到上传的视频文件，请重新上传"


class RegistrationChangedError(ConflictError):
    """A conditional write lost because the registration changed meanwhile."""
    code = "STATE_CHANGED"
    message = "报名状态已变化，请刷新后重试"


class QuestionnaireAlreadySubmittedError(ConflictError):
    code = "QUESTIONNAIRE_ALREADY_SUBMITTED"
    message = "您已提交过问卷，每人只能提交一次"


class CoursesIncompleteError(ForbiddenError):
    code = "COURSES_INCOMPLETE"

    def __init__(self, remaining: int) -> None:
        super().__init__(f"还有 {remaining} 门课程未学习完，全部学习完后才能填写问卷",
                         remaining=remaining)


class NotAllowedToLearnError(ForbiddenError):
    """Why a registration may not learn (yet): the first unmet condition, by its code."""
    MESSAGES = {
        "not_registered": ("NOT_REGISTERED", "您尚未报名本届培训"),
        "not_approved": ("NOT_APPROVED", "报名审核通过并交费后才能学习"),
        "not_paid": ("NOT_PAID", "交费成功后才能选学和学习"),
        "refunded": ("REFUNDED", "该报名已退费，不能继续学习"),
    }

    def __init__(self, unmet: str) -> None:
        code, message = self.MESSAGES[unmet]
        super().__init__(message, code=code)
