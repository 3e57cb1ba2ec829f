"""What billing holds about a person besides the accounting records, for privacy's erasure
(`chalicelib/privacy/service.py` is the only caller): the address a refund's completion is
mailed to. Orders, payments and refunds themselves stay as recorded (accounting law: the
payer's name on the order and its transfer memo included)."""
from __future__ import annotations

from typing import Any

from chalicelib.billing.repository import BillingRepository, Refund
from chalicelib.platform.store.base import committed

_repo = BillingRepository()


def erase_refund_contact(order_ids: list[str], email: str, placeholder: str) -> int:
    """The refunds of these orders that would mail `email` name `placeholder` instead
    (a group order's refunds mail the unit: those stay). Returns how many changed;
    repeating it is harmless."""
    changed = 0
    for order_id in order_ids:
        for refund in _repo.refunds_of_order(order_id):
            if refund.notify_to != email:
                continue

            def write(tx: Any, refund: Refund = refund) -> None:
                tx.update(refund, actions=[Refund.notify_to.set(placeholder)],
                          condition=Refund.notify_to == email)

            changed += committed(write)
    return changed
