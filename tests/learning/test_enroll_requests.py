"""选学 at 2 DynamoDB requests (issue 18): the live-registration guard gives the registration
id, and the enrolment transaction's own conditions (approved, paid, not enrolled yet) are
the check, so the registration is not read first. Every refusal still answers as before
(same code, nothing written), read only once the transaction has said no."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.learning import service as learning
from chalicelib.platform.errors import ForbiddenError, WindowClosedError
from tests.conftest import at
from tests.learning.conftest import LEARNING_OPEN, make_registration, set_payment
from tests.wire import on_the_wire


def _progress(sub: str) -> list[Any]:
    from chalicelib.learning.repository import ProgressRepository, learner_key
    return ProgressRepository().list(learner_key("2026", sub))


def _audit(registration_id: str) -> list[str]:
    from chalicelib.platform.store.audit import history
    return [e.action for e in history(f"registration#{registration_id}")]


def test_an_allowed_enrolment_is_the_guard_and_one_transaction(deps, clock):
    t = make_registration()
    set_payment(t.registration_id)
    clock.set(LEARNING_OPEN)
    with on_the_wire(skip_stage_reads=True) as seen:
        out = learning.enroll(deps, t.user_sub, clock.now())
    assert [op for op, _ in seen] == ["GetItem", "TransactWriteItems"], seen
    assert seen[0][1] == ["uniques"] and "registrations" in seen[1][1]
    assert out["registration_id"] == t.registration_id and len(out["courses"]) == 10
    assert out["enrolled_at"] == "2026-04-13T00:00:00+08:00"
    assert len(_progress(t.user_sub)) == 10


@pytest.mark.parametrize("status,payment,code", [
    ("pending", "unpaid", "NOT_APPROVED"),       # not reviewed yet
    ("approved", "unpaid", "NOT_PAID"),
    ("approved", "refunding", "NOT_PAID"),       # the money is on its way back
    ("approved", "refunded", "REFUNDED"),
])
def test_a_refused_enrolment_names_the_reason_and_writes_nothing(deps, clock, status, payment, code):
    t = make_registration()
    set_payment(t.registration_id, status, payment)
    clock.set(LEARNING_OPEN)
    with on_the_wire(skip_stage_reads=True) as seen, pytest.raises(ForbiddenError) as err:
        learning.enroll(deps, t.user_sub, clock.now())
    assert err.value.code == code
    # the transaction tried first and said no; then the registration was read for the reason
    assert [op for op, _ in seen][:2] == ["GetItem", "TransactWriteItems"], seen
    assert _progress(t.user_sub) == [] and "learning.enrolled" not in _audit(t.registration_id)


def test_a_rejected_registration_has_no_guard_and_answers_not_approved(deps, clock):
    from chalicelib.registration import service as registrations
    t = make_registration()
    registrations.reject(deps, t.registration_id, "材料不全", "reviewer", clock.now())
    clock.set(LEARNING_OPEN)
    with on_the_wire(skip_stage_reads=True) as seen, pytest.raises(ForbiddenError) as err:
        learning.enroll(deps, t.user_sub, clock.now())
    assert err.value.code == "NOT_APPROVED"
    assert "TransactWriteItems" not in [op for op, _ in seen]


def test_no_registration_at_all(deps, clock):
    clock.set(LEARNING_OPEN)
    with pytest.raises(ForbiddenError) as err:
        learning.enroll(deps, "nobody-at-all", clock.now())
    assert err.value.code == "NOT_REGISTERED"


def test_enrolling_again_answers_the_first_enrolment(deps, clock):
    t = make_registration()
    set_payment(t.registration_id)
    clock.set(LEARNING_OPEN)
    first = learning.enroll(deps, t.user_sub, clock.now())
    clock.advance(minutes=5)
    second = learning.enroll(deps, t.user_sub, clock.now())
    assert second["enrolled_at"] == first["enrolled_at"] == "2026-04-13T00:00:00+08:00"
    assert second["courses"] == first["courses"]
    assert _audit(t.registration_id).count("learning.enrolled") == 1


def test_outside_the_window_the_payment_is_still_named_first(deps, clock):
    t = make_registration()
    set_payment(t.registration_id, "approved", "unpaid")
    clock.set(at("2026-04-12T23:59:59+08:00"))
    with pytest.raises(ForbiddenError) as err:
        learning.enroll(deps, t.user_sub, clock.now())
    assert err.value.code == "NOT_PAID"
    set_payment(t.registration_id)
    with on_the_wire(skip_stage_reads=True) as seen, pytest.raises(WindowClosedError) as closed:
        learning.enroll(deps, t.user_sub, clock.now())
    assert closed.value.code == "WINDOW_NOT_OPEN"
    assert "TransactWriteItems" not in [op for op, _ in seen]  # nothing tried before it opens
