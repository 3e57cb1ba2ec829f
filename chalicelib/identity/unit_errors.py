"""The errors of unit verification and linking (codes are the API's; messages in Chinese)."""
from __future__ import annotations

from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError


class UnitAccountRequiredError(ForbiddenError):
    code = "UNIT_ACCOUNT_REQUIRED"
    message = "仅单位账号可以使用此功能"


class UnitNotVerifiedError(ForbiddenError):
    """A pending or rejected unit account asked for trainee data or a group order."""
    code = "UNIT_NOT_VERIFIED"
    message = "单位账号尚未通过平台审核：审核通过前不能查看学员信息或集体交费"


class UnitNotFoundError(NotFoundError):
    code = "UNIT_NOT_FOUND"
    message = "单位账号不存在"


class UnitStateError(ConflictError):
    """The unit's status does not allow this (details: its `status`)."""
    code = "UNIT_STATE"


class LetterMissingError(ConflictError):
    code = "LETTER_MISSING"
    message = "该单位尚未上传单位介绍信或授权书，不能通过审核"


class LetterInvalidError(ConflictError):
    code = "LETTER_INVALID"
    message = "上传的文件不是所声明类型的 PDF 或图片，不能通过审核；请驳回并请单位重新上传"
