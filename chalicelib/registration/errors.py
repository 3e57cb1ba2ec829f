"""Registration's errors: one class per code, raised wherever that refusal happens (the
codes and messages are the API's; the web and the tests rely on them)."""
from __future__ import annotations

from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError


class RegistrationNotFoundError(NotFoundError):
    """Also what a trainee hears about someone else's registration (no probing)."""
    code = "REGISTRATION_NOT_FOUND"
    message = "报名记录不存在"


class AlreadyRegisteredError(ConflictError):
    """One live registration per person and edition."""
    code = "ALREADY_REGISTERED"
    message = "您已报名本届培训，不能重复报名"


class PersonalAccountRequiredError(ForbiddenError):
    code = "PERSONAL_ACCOUNT_REQUIRED"
    message = "单位账号不能报名，请使用个人账号"


class RegistrationStateError(ConflictError):
    """The registration's state does not allow the move (the message says which)."""
    code = "INVALID_STATE"


class AlreadyPaidError(ConflictError):
    code = "ALREADY_PAID"
    message = "已交费的报名不能撤回，请申请退费"


class RegistrationChangedError(ConflictError):
    """A conditional write lost because the registration changed meanwhile."""
    code = "STATE_CHANGED"
    message = "报名状态已变化，请刷新后重试"


class UnitNotAvailableError(ConflictError):
    """The unit account picked is unknown, pending or rejected (all answered alike)."""
    code = "UNIT_NOT_AVAILABLE"
    message = "所选单位账号不存在或尚未通过平台认证"


class UnitNameMismatchError(ConflictError):
    code = "UNIT_NAME_MISMATCH"


class AlreadyLinkedError(ConflictError):
    code = "ALREADY_LINKED"
    message = "该报名已关联其他单位账号，如需更换请先取消关联"


class LinkLockedError(ConflictError):
    code = "LINK_LOCKED"
    message = "该报名已由单位集体交费，不能取消关联"
