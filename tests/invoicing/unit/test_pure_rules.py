"""What an invoice covers after refunds, as a pure function."""
from __future__ import annotations

from chalicelib.invoicing.rules import RefundPart, net_of_refunds


def part(reg: str | None, fen: int, status: str = "done", payment: str | None = "P1") -> RefundPart:
    return RefundPart(payment_id=payment, registration_id=reg, amount_fen=fen, status=status)


def test_no_refunds_is_the_whole_order():
    assert net_of_refunds(147000, 3, "P1", []) == (147000, 3)


def test_refunds_of_this_payment_that_did_not_fail_come_off():
    refunds = [part("R1", 49000), part("R2", 49000, status="processing"),
               part("R3", 49000, status="failed"), part("R3", 49000, payment="P0")]
    assert net_of_refunds(147000, 3, "P1", refunds) == (49000, 1)


def test_a_member_refunded_twice_counts_once_and_members_never_go_negative():
    assert net_of_refunds(49000, 1, "P1", [part("R1", 20000), part("R1", 29000)]) == (0, 0)
    assert net_of_refunds(49000, 0, "P1", [part(None, 49000)]) == (0, 1)
