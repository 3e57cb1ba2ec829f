"""One error hierarchy. Each error has a stable machine code, an HTTP status and a
Chinese message for people; the view boundary maps them to responses once."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.platform.clock import iso, notice_time


class AppError(Exception):
    status = 400
    code = "BAD_REQUEST"
    message = "请求无效"
    retry_after_s: int | None = None  # sent as Retry-After when set

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 **details: Any) -> None:
        self.message = message or self.message
        if code:
            self.code = code
        self.details = {k: v for k, v in details.items() if v is not None}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"Code": self.code, "Message": self.message, **self.details}


class ValidationError(AppError):
    """Bad input: names the field."""
    status = 400
    code = "VALIDATION_ERROR"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 **details: Any) -> None:
        super().__init__(message, code=code, field=field, **details)


class UnauthorizedError(AppError):
    status = 401
    code = "UNAUTHORIZED"
    message = "请先登录"


class ForbiddenError(AppError):
    status = 403
    code = "FORBIDDEN"
    message = "您没有执行此操作的权限"


class NotFoundError(AppError):
    status = 404
    code = "NOT_FOUND"
    message = "未找到该资源"


class ConflictError(AppError):
    """The request is well formed but the state does not allow it (now)."""
    status = 409
    code = "CONFLICT"
    message = "当前状态不允许此操作"


class WindowClosedError(ConflictError):
    """A calendar window is not open: names the window and when it opens/closed."""
    code = "WINDOW_CLOSED"

    def __init__(self, window: str, label: str, opens_at: datetime | None,
                 closes_at: datetime | None, now: datetime, code: str | None = None) -> None:
        if opens_at is not None and now < opens_at:
            text = f"{label}尚未开始，开始时间为 {_show(opens_at)}（北京时间）"
            code = code or "WINDOW_NOT_OPEN"
        else:
            text = f"{label}已于 {_show(closes_at, end=True)}（北京时间）截止"
        super().__init__(text, code=code, window=window, opens_at=iso(opens_at),
                         closes_at=iso(closes_at))


class PayloadTooLargeError(AppError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"
    message = "请求内容过大"


class UnsupportedMediaTypeError(AppError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    message = "不支持的内容类型"


class RetryLaterError(AppError):
    """A transient fault (storage throttled, provider down): the client may retry."""
    status = 503
    code = "RETRY_LATER"
    message = "系统繁忙，请稍后重试"
    retry_after_s = 5


def _show(at: datetime | None, *, end: bool = False) -> str:
    return "-" if at is None else notice_time(at, end=end)
