"""Orders, payments, refunds, statement lines and kept notifications: their states, the
allowed moves (one StateMachine table each: store conditions, state attributes, response
schemas, OpenAPI enums and the web's labels all come from these), and the memo rules.
Plain data and pure functions; no storage, no clock."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.platform.states import StateMachine
from chalicelib.platform.text import normalise_name


class Channel(StrEnum):
    ALIPAY = "alipay"
    WECHATPAY = "wechatpay"
    BANK_TRANSFER = "bank_transfer"


ONLINE = (Channel.ALIPAY.value, Channel.WECHATPAY.value)
CHANNEL_LABELS = {"alipay": "支付宝", "wechatpay": "微信支付", "bank_transfer": "银行转账"}


class Device(StrEnum):
    """Where the page that pays runs, as the client says (`device` of POST /orders)."""
    DESKTOP = "desktop"  # a computer: a QR code on the screen can be scanned by a phone
    PHONE = "phone"  # a phone's own browser: the provider's phone product opens
    WECHAT = "wechat"  # WeChat's built-in browser: WeChat Pay JSAPI (WeixinJSBridge)


class Product(StrEnum):
    """The provider's product an online order was placed with."""
    ALIPAY_PAGE = "alipay_page"  # 电脑网站支付 alipay.trade.page.pay
    ALIPAY_WAP = "alipay_wap"  # 手机网站支付 alipay.trade.wap.pay
    WECHAT_NATIVE = "wechat_native"  # Native: code_url shown as a QR code
    WECHAT_H5 = "wechat_h5"  # H5: h5_url opened in the phone's browser
    WECHAT_JSAPI = "wechat_jsapi"  # JSAPI: WeixinJSBridge getBrandWCPayRequest in WeChat


PRODUCT_LABELS = {
    Product.ALIPAY_PAGE.value: "支付宝电脑网站支付", Product.ALIPAY_WAP.value: "支付宝手机网站支付",
    Product.WECHAT_NATIVE.value: "微信扫码支付", Product.WECHAT_H5.value: "微信H5支付",
    Product.WECHAT_JSAPI.value: "微信内支付",
}


class OrderKind(StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"


class OrderStatus(StrEnum):
    RESERVING = "reserving"  # a large group order while its members are being reserved
    OPEN = "open"  # waiting for money
    PAID = "paid"  # a confirmed payment credited it
    CLOSED = "closed"  # given up unpaid (channel switched, cancelled, window passed)
    REFUNDING = "refunding"  # the trainee asked for the money back; not yet returned
    REFUNDED = "refunded"  # the money went back


ORDER_STATUS = StateMachine.of("order.status", OrderStatus, {
    OrderStatus.RESERVING: {OrderStatus.OPEN, OrderStatus.CLOSED},
    OrderStatus.OPEN: {OrderStatus.PAID, OrderStatus.CLOSED},
    # A payment that still arrives for a closed order of an unpaid, approved registration is
    # credited (the trainee paid the old QR code); otherwise it is refunded by its route.
    OrderStatus.CLOSED: {OrderStatus.PAID},
    # A group order stays paid while members are refunded one by one; an individual order
    # moves through refunding to refunded.
    OrderStatus.PAID: {OrderStatus.REFUNDING},
    OrderStatus.REFUNDING: {OrderStatus.REFUNDED},
    OrderStatus.REFUNDED: set(),
}, {
    OrderStatus.RESERVING: "预留中", OrderStatus.OPEN: "待支付", OrderStatus.PAID: "已交费",
    OrderStatus.CLOSED: "已关闭", OrderStatus.REFUNDING: "退费中", OrderStatus.REFUNDED: "已退费",
})

# The states in which an order proves a payment (receipt, invoice).
PAID_STATES = frozenset({OrderStatus.PAID, OrderStatus.REFUNDING, OrderStatus.REFUNDED})
# Unpaid orders that still hold their registrations.
UNPAID_STATES = frozenset({OrderStatus.RESERVING, OrderStatus.OPEN})


class PaymentDisposition(StrEnum):
    """What a confirmed payment did: credited its order, or is money to send back. A
    payment is written once, in its final disposition."""
    CREDITED = "credited"
    DUPLICATE = "duplicate"  # the registration was already paid: refunded automatically
    UNAPPROVED = "unapproved"  # the registration is not approved: refunded automatically
    LATE = "late"  # arrived after the payment window: refunded automatically


PAYMENT_DISPOSITION = StateMachine.of("payment.disposition", PaymentDisposition, {
    PaymentDisposition.CREDITED: set(), PaymentDisposition.DUPLICATE: set(),
    PaymentDisposition.UNAPPROVED: set(), PaymentDisposition.LATE: set(),
}, {
    PaymentDisposition.CREDITED: "已入账", PaymentDisposition.DUPLICATE: "重复交费（自动退回）",
    PaymentDisposition.UNAPPROVED: "报名未通过（自动退回）",
    PaymentDisposition.LATE: "逾期到账（自动退回）",
})


class RefundStatus(StrEnum):
    REQUESTED = "requested"  # recorded before any money moves
    PROCESSING = "processing"  # the provider accepted it; its notification completes it
    DONE = "done"
    FAILED = "failed"


REFUND_STATUS = StateMachine.of("refund.status", RefundStatus, {
    RefundStatus.REQUESTED: {RefundStatus.PROCESSING, RefundStatus.DONE, RefundStatus.FAILED},
    RefundStatus.PROCESSING: {RefundStatus.DONE, RefundStatus.FAILED},
    # A failed provider refund goes back to finance, who may complete it by bank transfer
    # (or the provider's late success notification completes it).
    RefundStatus.FAILED: {RefundStatus.DONE},
    RefundStatus.DONE: set(),
}, {
    RefundStatus.REQUESTED: "已申请", RefundStatus.PROCESSING: "处理中",
    RefundStatus.DONE: "已完成", RefundStatus.FAILED: "失败",
})

# What finance completes by bank transfer: waiting for them, or failed at the provider
# (a refund the provider is still processing is completed by its notification).
FINANCE_COMPLETES = (RefundStatus.REQUESTED.value, RefundStatus.FAILED.value)


class RefundKind(StrEnum):
    REQUEST = "request"  # the trainee asked before course start
    DUPLICATE = "duplicate"  # automatic: a second payment for a paid registration
    UNAPPROVED = "unapproved"  # automatic: money for a registration that is not approved
    LATE = "late"  # automatic: money after the payment window closed


class LineStatus(StrEnum):
    """A bank statement line: waiting to be matched, or used by one confirmation."""
    NEW = "new"
    USED = "used"


LINE_STATUS = StateMachine.of("statement_line.status", LineStatus, {
    LineStatus.NEW: {LineStatus.USED}, LineStatus.USED: set(),
}, {LineStatus.NEW: "未入账", LineStatus.USED: "已入账"})


class NotificationFlag(StrEnum):
    """A provider notification we kept but did not credit: open until finance resolves it
    (the flag is the key of finance's sparse index)."""
    OPEN = "open"


NOTIFICATION_FLAG = StateMachine.of("payment_notification.flag", NotificationFlag, {
    NotificationFlag.OPEN: set(),
}, {NotificationFlag.OPEN: "待财务处理"})

# Why a notification was acknowledged without crediting (what finance reads, in Chinese).
NOTIFICATION_PROBLEMS = {
    "unknown_order": "订单号不存在",
    "channel_mismatch": "交费渠道与订单不符",
    "amount_mismatch": "金额与订单不符",
    "merchant_mismatch": "商户号或应用号不是本平台的",
    "malformed": "通知缺少交易号",
    "txn_reused": "交易号已用于另一订单",
    "passback_mismatch": "通知回传的报名与订单不符，未入账",
    PaymentDisposition.DUPLICATE.value: "重复交费（订单已关闭、已交费或已退费），已自动原路退回",
    PaymentDisposition.UNAPPROVED.value: "报名未通过审核或已撤回，已自动原路退回",
    PaymentDisposition.LATE.value: "交费期已过，已自动原路退回",
    "unknown_refund": "退款单号不存在",
    "refund_mismatch": "退款通知的订单或金额与退款单不符",
    "refund_failed": "渠道退款失败，需财务处理",
}


def problem_label(problem: str) -> str:
    return NOTIFICATION_PROBLEMS.get(problem, problem)


MACHINES = (ORDER_STATUS, PAYMENT_DISPOSITION, REFUND_STATUS, LINE_STATUS, NOTIFICATION_FLAG)


def individual_memo(prefix: str, unit_name: str, person: str) -> str:
    """The transfer memo of an individual: 在职培训+单位名称+姓名."""
    return f"{prefix}+{unit_name.strip()}+{person.strip()}"


def group_memo(prefix: str, unit_name: str) -> str:
    """The transfer memo of a group remittance: 在职培训+单位名称."""
    return f"{prefix}+{unit_name.strip()}"


def memo_key(text: str) -> str:
    """A memo as compared: full-width folded, no spaces, no plus signs or separators."""
    return "".join(ch for ch in normalise_name(text) if ch not in "+-_/|,.;:()[]·、，。；：（）")
