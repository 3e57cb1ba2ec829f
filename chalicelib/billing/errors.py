"""The billing feature's errors: each code and its message written once (clients and the
web match on `Code`; the Chinese `Message` is what people read)."""
from __future__ import annotations

from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError


# --- missing (or someone else's) -----------------------------------------------------------
class OrderNotFoundError(NotFoundError):
    """Also what a caller gets for an order that is not theirs."""
    code = "ORDER_NOT_FOUND"
    message = "订单不存在"


class RegistrationNotFoundError(NotFoundError):
    code = "REGISTRATION_NOT_FOUND"
    message = "报名记录不存在"


class MemberNotFoundError(NotFoundError):
    code = "MEMBER_NOT_FOUND"
    message = "该学员不在此订单中"


class LineNotFoundError(NotFoundError):
    code = "LINE_NOT_FOUND"
    message = "银行流水不存在"


class RefundNotFoundError(NotFoundError):
    code = "REFUND_NOT_FOUND"
    message = "退款单不存在"


# --- who may ---------------------------------------------------------------------------------
class UnitAccountRequiredError(ForbiddenError):
    code = "UNIT_ACCOUNT_REQUIRED"
    message = "仅单位账号可以集体交费"


# --- paying ----------------------------------------------------------------------------------
class RegistrationNotApprovedError(ConflictError):
    code = "REGISTRATION_NOT_APPROVED"
    message = "报名审核通过后才能交费"


class WechatOAuthRequiredError(ConflictError):
    """Paying inside WeChat needs the payer's openid: the page sends the trainee to
    `authorize_url` (WeChat's web OAuth) and comes back with a `code`."""
    code = "WECHAT_OAUTH_REQUIRED"
    message = "请先在微信中完成授权，再支付"


class AlreadyPaidError(ConflictError):
    code = "ALREADY_PAID"
    message = "该报名已交费，请勿重复交费"


class OpenOrderExistsError(ConflictError):
    code = "OPEN_ORDER_EXISTS"
    message = "该报名已在其他未支付订单中，请先取消该订单"


class InGroupOrderError(ConflictError):
    code = "IN_GROUP_ORDER"
    message = "该报名已在单位集体交费订单中，不能个人交费；如需自行交费，请先在“我的培训”中退出集体订单"


class InvalidOrderStateError(ConflictError):
    """The order's state does not allow this (details: its `status`)."""
    code = "INVALID_STATE"


class StateChangedError(ConflictError):
    """Someone moved first; a fresh read and a retry may succeed."""
    code = "STATE_CHANGED"
    message = "订单状态已变化，请刷新后重试"


class OrderNotPaidError(ConflictError):
    code = "ORDER_NOT_PAID"
    message = "订单尚未交费，没有交费凭证"


class GroupMembersInvalidError(ConflictError):
    code = "GROUP_MEMBERS_INVALID"


class GroupReservationConflictError(ConflictError):
    code = "GROUP_RESERVATION_CONFLICT"
    message = "部分学员刚刚被其他订单占用或状态已变化，请刷新后重试"


# --- bank transfers ----------------------------------------------------------------------------
class NotBankTransferError(ConflictError):
    code = "NOT_BANK_TRANSFER"
    message = "该订单不是银行转账订单"


class LineUsedError(ConflictError):
    """The statement line already paid an order (details: that `order_id`)."""
    code = "LINE_USED"
    message = "该银行流水已用于其他订单"


class BankSerialUsedError(ConflictError):
    code = "BANK_SERIAL_USED"
    message = "该银行流水号已入账（用于其他订单），不能重复使用"


class AmountMismatchError(ConflictError):
    code = "AMOUNT_MISMATCH"


# --- refunds -----------------------------------------------------------------------------------
class NotRefundableError(ConflictError):
    code = "NOT_REFUNDABLE"
    message = "该订单未交费或已退费，不能申请退费"


class RefundAlreadyDoneError(ConflictError):
    code = "REFUND_ALREADY_DONE"
    message = "该退款已完成"


class RefundByProviderError(ConflictError):
    code = "REFUND_BY_PROVIDER"
    message = "在线支付的退款由支付渠道原路退回，无需财务办理"


class RefundConflictError(ConflictError):
    code = "REFUND_CONFLICT"
    message = "退款状态已变化，或该银行流水号已登记过"
