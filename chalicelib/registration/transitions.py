"""What other features may write on registrations inside their OWN DynamoDB transaction
(`platform.store.base.transaction()`): named condition checks and updates. The registration
package keeps its model private; these functions are its public face for writes."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib.registration.repository import Registration
from chalicelib.platform.store.base import is_condition_failure
from chalicelib.registration.states import PAYMENT_STATUS, PaymentStatus, RegistrationStatus


def _paid() -> Any:
    return ((Registration.status == RegistrationStatus.APPROVED.value)
            & (Registration.payment_status == PaymentStatus.PAID.value))


def require_paid(tx: TransactWrite, registration_id: str) -> None:
    """The transaction commits only while the registration is approved and paid
    (learning: the questionnaire; certificates: the issue)."""
    tx.condition_check(Registration, registration_id, condition=_paid())


def mark_enrolled(tx: TransactWrite, registration_id: str, now: datetime) -> None:
    """选学: record `enrolled_at` once, only while the registration is approved and paid
    and not enrolled yet (learning's enrolment transaction)."""
    tx.update(Registration(registration_id=registration_id),
              actions=[Registration.enrolled_at.set(now), Registration.version.add(1)],
              condition=_paid() & Registration.enrolled_at.does_not_exist())


# --- billing: orders hold a registration, payments pay it, refunds take it back ----------
# Each takes billing's transaction `tx`; the conditions come from the registration's state
# tables (states.PAYMENT_STATUS), so a move the table does not allow cannot commit.
def _payable() -> Any:
    """Approved and not paid yet (what an order or a payment may take)."""
    return ((Registration.status == RegistrationStatus.APPROVED.value)
            & Registration.payment_status.is_in(*PAYMENT_STATUS.sources(PaymentStatus.PAID)))


def attach_open_order(tx: TransactWrite, registration_id: str, order_id: str,
                      unit_id: str | None = None) -> None:
    """An unpaid order reserves the registration: approved, unpaid and in no other open
    order (at most one open order per registration); a group order (`unit_id`: its unit
    account) only while the registration is linked to that unit."""
    condition = _payable() & Registration.open_order_id.does_not_exist()
    if unit_id is not None:
        condition = condition & (Registration.unit_id == unit_id)
    tx.update(Registration(registration_id=registration_id),
              actions=[Registration.open_order_id.set(order_id), Registration.version.add(1)],
              condition=condition)


def release_open_order(tx: TransactWrite, registration_id: str, order_id: str) -> None:
    """The order closed or let the registration go: free it, if `order_id` still holds it."""
    tx.update(Registration(registration_id=registration_id),
              actions=[Registration.open_order_id.remove(), Registration.version.add(1)],
              condition=Registration.open_order_id == order_id)


def release_open_order_alone(registration_id: str, order_id: str) -> bool:
    """`release_open_order` as one conditional write of its own (a large closed group is
    freed member by member); False when `order_id` no longer holds it."""
    try:
        Registration(registration_id=registration_id).update(
            actions=[Registration.open_order_id.remove(), Registration.version.add(1)],
            condition=Registration.open_order_id == order_id)
    except Exception as exc:
        if not is_condition_failure(exc):
            raise
        return False
    return True


def _paid_actions(order_id: str, now: datetime) -> list[Any]:
    return [Registration.payment_status.set(PaymentStatus.PAID.value),
            Registration.paid_order_id.set(order_id), Registration.paid_at.set(now),
            Registration.open_order_id.remove(), Registration.version.add(1)]


def mark_paid(tx: TransactWrite, registration_id: str, order_id: str, held_by: str | None,
              now: datetime) -> None:
    """A credited individual payment: the registration (still approved and unpaid, and
    held by `held_by`, or by no order when None) is paid by `order_id`."""
    held = Registration.open_order_id.does_not_exist() if held_by is None else \
        Registration.open_order_id == held_by
    tx.update(Registration(registration_id=registration_id), actions=_paid_actions(order_id, now),
              condition=_payable() & held)


def mark_paid_by_group(tx: TransactWrite, registration_id: str, order_id: str,
                       now: datetime) -> None:
    """A member of a paid group order: paid, if the group still holds it unpaid."""
    tx.update(Registration(registration_id=registration_id), actions=_paid_actions(order_id, now),
              condition=(Registration.open_order_id == order_id)
              & Registration.payment_status.is_in(*PAYMENT_STATUS.sources(PaymentStatus.PAID)))


def mark_refunding(tx: TransactWrite, registration_id: str, paid_order_id: str) -> None:
    """A refund of its payment is recorded: the registration leaves `paid` at once (it can
    no longer learn)."""
    tx.update(Registration(registration_id=registration_id),
              actions=[Registration.payment_status.set(PaymentStatus.REFUNDING.value),
                       Registration.version.add(1)],
              condition=Registration.payment_status.is_in(
                  *PAYMENT_STATUS.sources(PaymentStatus.REFUNDING))
              & (Registration.paid_order_id == paid_order_id))


def mark_refunded(tx: TransactWrite, registration_id: str, now: datetime) -> None:
    """The money went back: refunding -> refunded."""
    tx.update(Registration(registration_id=registration_id),
              actions=[Registration.payment_status.set(PaymentStatus.REFUNDED.value),
                       Registration.refunded_at.set(now), Registration.version.add(1)],
              condition=Registration.payment_status.is_in(
                  *PAYMENT_STATUS.sources(PaymentStatus.REFUNDED)))
