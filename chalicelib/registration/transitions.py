"""What other features may write on registrations inside their OWN DynamoDB transaction
(`platform.store.base.transaction()`): named condition checks and updates. The registration
package keeps its model private; these functions are its public face for writes."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib.registration.repository import Registration
from chalicelib.registration.states import PaymentStatus, RegistrationStatus


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
