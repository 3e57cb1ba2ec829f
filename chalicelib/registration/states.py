"""Registration states and the moves between them."""
from __future__ import annotations

from enum import StrEnum


class RegistrationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    REFUNDED = "refunded"


class Tier(StrEnum):
    MEMBER = "member"
    NON_MEMBER = "non_member"


ALLOWED: dict[RegistrationStatus, set[RegistrationStatus]] = {
    RegistrationStatus.PENDING: {RegistrationStatus.APPROVED, RegistrationStatus.REJECTED,
                                 RegistrationStatus.WITHDRAWN},
    # An approved, unpaid registration can still be withdrawn by its trainee.
    RegistrationStatus.APPROVED: {RegistrationStatus.WITHDRAWN},
    RegistrationStatus.REJECTED: set(),
    RegistrationStatus.WITHDRAWN: set(),
}

# "Live" registrations block a second one for the same person and edition.
LIVE = {RegistrationStatus.PENDING, RegistrationStatus.APPROVED}


def can_move(src: RegistrationStatus, dst: RegistrationStatus) -> bool:
    return dst in ALLOWED[src]
