"""Identity's errors: one class per code, raised wherever that refusal happens (the codes
and messages are the API's; the web and the tests rely on them)."""
from __future__ import annotations

from chalicelib.platform.errors import NotFoundError, ValidationError


class AccountNotFoundError(NotFoundError):
    code = "ACCOUNT_NOT_FOUND"
    message = "账号资料不存在"


class InvalidCreditCodeError(ValidationError):
    """A 统一社会信用代码 whose check character or format is wrong (unit sign-up, invoices)."""
    code = "INVALID_CREDIT_CODE"

    def __init__(self, field: str = "credit_code") -> None:
        super().__init__("统一社会信用代码无效（校验位不符或格式错误）", field=field)
