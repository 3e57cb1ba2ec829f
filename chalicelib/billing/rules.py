"""Billing's rules as plain functions of what was read (orders, registrations, payments)
and of `in_time`/`now`: which registration may be paid, what a payment that arrives does,
who may join a group order, which paid registration may ask for its money back and how
much. No storage, no clock: the services read, call these, then write conditionally."""
from __future__ import annotations

from typing import Any

from chalicelib.billing.errors import AlreadyPaidError, OpenOrderExistsError, RegistrationNotApprovedError
from chalicelib.billing.states import ORDER_STATUS, Channel, Device, OrderKind, OrderStatus, PaymentDisposition, Product
from chalicelib.platform.errors import ConflictError, ValidationError
from chalicelib.platform.text import normalise_name
from chalicelib.registration.states import PaymentStatus, RegistrationStatus

# Why a member cannot join a group order (code -> what the unit reads).
GROUP_PROBLEMS = {
    "NOT_FOUND": "未找到该报名",
    "UNIT_MISMATCH": "报名单位与本单位名称不一致",
    "NOT_APPROVED": "报名尚未审核通过",
    "ALREADY_PAID": "已交费",
    "IN_OTHER_ORDER": "已在其他未支付订单中",
}


def is_payable(reg: Any) -> bool:
    """Approved and not paid yet: an order may be placed for it."""
    return bool(reg.status == RegistrationStatus.APPROVED.value
                and reg.payment_status == PaymentStatus.UNPAID.value)


def unpayable(reg: Any) -> ConflictError:
    """The error that explains why `reg` cannot take a new order."""
    if reg.status != RegistrationStatus.APPROVED.value:
        return RegistrationNotApprovedError(status=reg.status)
    if reg.payment_status != PaymentStatus.UNPAID.value:
        return AlreadyPaidError(order_id=reg.paid_order_id)
    return OpenOrderExistsError(order_id=reg.open_order_id)


def disposition(order: Any, reg: Any | None, other: Any | None, in_time: bool) -> str:
    """What money that arrives for `order` does: `credited`, or (refunded automatically)
    `duplicate` / `unapproved` / `late`. `reg` is the individual order's registration (None
    for a group, or when it is gone), `other` the other order holding it, if any;
    `in_time`: the payment window is open."""
    if order.kind == OrderKind.GROUP.value:
        if order.status != OrderStatus.OPEN.value:
            return PaymentDisposition.DUPLICATE.value
        return PaymentDisposition.CREDITED.value
    if reg is None or reg.status != RegistrationStatus.APPROVED.value:
        return PaymentDisposition.UNAPPROVED.value
    # Money for a closed order of an unpaid registration still counts (an old QR code).
    if reg.payment_status != PaymentStatus.UNPAID.value or \
            not ORDER_STATUS.can_move(order.status, OrderStatus.PAID):
        return PaymentDisposition.DUPLICATE.value
    if not in_time:
        return PaymentDisposition.LATE.value
    held_elsewhere = bool(reg.open_order_id) and reg.open_order_id != order.order_id
    # Held by the unit's group remittance, or a stale pointer: do not take the seat.
    if held_elsewhere and (other is None or other.kind == OrderKind.GROUP.value
                           or other.status != OrderStatus.OPEN.value):
        return PaymentDisposition.DUPLICATE.value
    return PaymentDisposition.CREDITED.value


def product_for(channel: str, device: str) -> str | None:
    """The provider's product for a page running on `device`: on a phone a QR code on the
    same screen cannot be scanned, so Alipay opens its phone cashier (wap pay) and WeChat
    Pay its H5 page, or inside WeChat's own browser the JSAPI bridge; Native (QR) and
    Alipay's desktop page only on a computer. None for a bank transfer."""
    if channel == Channel.ALIPAY.value:
        return Product.ALIPAY_PAGE.value if device == Device.DESKTOP.value else Product.ALIPAY_WAP.value
    if channel == Channel.WECHATPAY.value:
        return {Device.PHONE.value: Product.WECHAT_H5.value,
                Device.WECHAT.value: Product.WECHAT_JSAPI.value}.get(device, Product.WECHAT_NATIVE.value)
    return None


def product_of(order: Any) -> str | None:
    """The product an order's pay link was made for (orders from before products: the
    desktop ones)."""
    link = order.pay_link or {}
    if link.get("product"):
        return str(link["product"])
    return product_for(order.channel, Device.DESKTOP.value)


def group_problem(reg: Any, unit_norm: str) -> str | None:
    """Why `reg` cannot join the group order of the unit named `unit_norm` (normalised)."""
    if normalise_name(reg.unit_name) != unit_norm:
        return "UNIT_MISMATCH"
    if reg.status != RegistrationStatus.APPROVED.value:
        return "NOT_APPROVED"
    if reg.payment_status != PaymentStatus.UNPAID.value:
        return "ALREADY_PAID"
    if reg.open_order_id:
        return "IN_OTHER_ORDER"
    return None


def amount_without(order: Any, fee_fen: int) -> int:
    """A group order's amount once a member whose fee is `fee_fen` leaves it."""
    return int(order.amount_fen) - int(fee_fen)


def refundable(order: Any, reg: Any, payment: Any | None) -> bool:
    """A refund may be recorded for `reg`: its payment credited `order`, which is paid,
    and the registration is still paid by it."""
    return bool(payment is not None and order.status == OrderStatus.PAID.value
                and reg.paid_order_id == order.order_id
                and reg.payment_status == PaymentStatus.PAID.value)


def refund_amount(order: Any, reg: Any) -> int:
    """What goes back: a group member's own fee, or the whole individual order."""
    return int(reg.fee_fen) if order.kind == OrderKind.GROUP.value else int(order.amount_fen)


def refund_moves_order(order: Any) -> bool:
    """An individual order follows its refund (paid -> refunding -> refunded); a group
    order stays paid while its members are refunded one by one."""
    return bool(order.kind == OrderKind.INDIVIDUAL.value
                and ORDER_STATUS.can_move(order.status, OrderStatus.REFUNDING))


def normalise_serial(serial: str) -> str:
    """A bank serial as we compare and keep it: no spaces, upper case, 1..64 characters."""
    value = "".join(serial.split()).upper()
    if not value or len(value) > 64:
        raise ValidationError("银行流水号无效", field="bank_serial")
    return value
