"""A registration's states: the one table each that store conditions (`sources`), state
attributes, response schemas and OpenAPI enums (`schema`) and the web's labels come from."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.platform.states import StateMachine


class RegistrationStatus(StrEnum):
    PENDING = "pending"  # submitted, waiting for a reviewer
    APPROVED = "approved"  # 报名成功: may be paid
    REJECTED = "rejected"  # with a reason the trainee sees
    WITHDRAWN = "withdrawn"  # by its trainee, while unpaid


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    REFUNDING = "refunding"  # a refund is recorded; the money is on its way back
    REFUNDED = "refunded"


class Tier(StrEnum):
    """Decided when the registration is submitted and locked into it (never repriced)."""
    MEMBER = "member"
    NON_MEMBER = "non_member"


STATUS = StateMachine.of("registration.status", RegistrationStatus, {
    RegistrationStatus.PENDING: {RegistrationStatus.APPROVED, RegistrationStatus.REJECTED,
                                 RegistrationStatus.WITHDRAWN},
    # An approved, unpaid registration can still be withdrawn by its trainee.
    RegistrationStatus.APPROVED: {RegistrationStatus.WITHDRAWN},
    RegistrationStatus.REJECTED: set(),
    RegistrationStatus.WITHDRAWN: set(),
}, {
    RegistrationStatus.PENDING: "待审核", RegistrationStatus.APPROVED: "报名成功",
    RegistrationStatus.REJECTED: "未通过", RegistrationStatus.WITHDRAWN: "已撤回",
})

# Written by billing (registration.transitions): paid by a credited payment, refunding when
# a refund is recorded (it can no longer learn), refunded when the money went back.
PAYMENT_STATUS = StateMachine.of("registration.payment_status", PaymentStatus, {
    PaymentStatus.UNPAID: {PaymentStatus.PAID},
    PaymentStatus.PAID: {PaymentStatus.REFUNDING},
    PaymentStatus.REFUNDING: {PaymentStatus.REFUNDED},
    PaymentStatus.REFUNDED: set(),
}, {
    PaymentStatus.UNPAID: "未交费", PaymentStatus.PAID: "已交费",
    PaymentStatus.REFUNDING: "退费中", PaymentStatus.REFUNDED: "已退费",
})

TIER = StateMachine.of("registration.tier", Tier, {Tier.MEMBER: set(), Tier.NON_MEMBER: set()},
                       {Tier.MEMBER: "会员", Tier.NON_MEMBER: "非会员"})

# "Live" registrations block a second one for the same person and edition.
LIVE = frozenset({RegistrationStatus.PENDING, RegistrationStatus.APPROVED})
