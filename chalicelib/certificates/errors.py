"""Certificates' errors: one class per code, raised wherever that refusal happens (the codes
and messages are the API's; the web, the verification page and the tests rely on them)."""
from __future__ import annotations

from typing import Any

from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError


class CertificateNotFoundError(NotFoundError):
    code = "CERTIFICATE_NOT_FOUND"
    message = "证书不存在"


class NotGenuineError(CertificateNotFoundError):
    """Public verification of a well-formed number we never issued."""
    message = "查无此证书：该编号不是本平台颁发的证书"

    def __init__(self) -> None:
        super().__init__(genuine=False)


class CertificateNoInvalidError(ValidationError):
    code = "CERTIFICATE_NO_INVALID"

    def __init__(self) -> None:
        super().__init__("证书编号格式不正确或校验位错误", field="certificate_no", genuine=False)


class NotEligibleError(ForbiddenError):
    code = "NOT_ELIGIBLE"

    def __init__(self, unmet: list[str], texts: list[str], **details: Any) -> None:
        super().__init__("尚不符合领取证书的条件：" + "、".join(texts), unmet=unmet, **details)


class CertificateChangedError(ConflictError):
    """The issuing transaction lost, and not to another issue of the same certificate."""
    code = "STATE_CHANGED"
    message = "证书状态已变化，请刷新后重试"


class CertificateRevokedError(ConflictError):
    code = "CERTIFICATE_REVOKED"
    message = "该证书已被撤销，不能下载"

    def __init__(self, certificate_no: str) -> None:
        super().__init__(certificate_no=certificate_no)


class CertificateAlreadyRevokedError(ConflictError):
    code = "CERTIFICATE_ALREADY_REVOKED"
    message = "该证书已被撤销"
