"""Identity's errors: one class per code, raised wherever that refusal happens (the codes
and messages are the API's; the web and the tests rely on them)."""
from __future__ import annotations

from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError


class AccountNotFoundError(NotFoundError):
    code = "ACCOUNT_NOT_FOUND"
    message = "账号资料不存在"


class InvalidCreditCodeError(ValidationError):
    """A 统一社会信用代码 whose check character or format is wrong (unit sign-up, invoices)."""
    code = "INVALID_CREDIT_CODE"

    def __init__(self, field: str = "credit_code") -> None:
        super().__init__("统一社会信用代码无效（校验位不符或格式错误）", field=field)


class CodeInvalidError(ValidationError):
    """A verification or reset code that is wrong, expired, used or tried too often."""
    code = "CODE_INVALID"

    def __init__(self, exhausted: bool = False) -> None:
        super().__init__("验证码已失效，请重新获取" if exhausted else "验证码错误或已过期",
                         field="code")


class PhoneMissingError(ValidationError):
    code = "PHONE_MISSING"

    def __init__(self) -> None:
        super().__init__("账号未填写手机号，无法发送短信验证码", field="phone")


class SmsLoginNotForStaffError(ForbiddenError):
    """Staff (admin, finance, reviewer) sign in with e-mail, password and their TOTP only."""
    code = "SMS_LOGIN_NOT_FOR_STAFF"
    message = "工作人员账号不能用短信验证码登录，请用邮箱、密码和动态口令登录"


class AccountDisabledError(ForbiddenError):
    code = "ACCOUNT_DISABLED"
    message = "账号已停用，不能登录。如有疑问请联系平台工作人员"


class PhoneAmbiguousError(ConflictError):
    """The verified phone belongs to more than one account: which one is meant is unknown."""
    code = "PHONE_AMBIGUOUS"
    message = "该手机号已在多个账号中验证，无法判断登录哪个账号，请用邮箱和密码登录"
