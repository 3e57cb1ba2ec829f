"""Registration's state tables: the moves, the labels the web shows, the schemas derived
from them, and a store that refuses a state the tables do not know. No AWS needed."""
import re
from datetime import UTC, datetime

import pytest

from chalicelib.registration.models import RegistrationListOut, RegistrationOut, ReviewQuery
from chalicelib.registration.repository import Registration
from chalicelib.registration.states import LIVE, PAYMENT_STATUS, STATUS, TIER, PaymentStatus, RegistrationStatus as S

def test_registration_moves():
    assert STATUS.can_move(S.PENDING, S.APPROVED)
    assert STATUS.can_move(S.APPROVED, S.WITHDRAWN)
    assert not STATUS.can_move(S.REJECTED, S.APPROVED)
    assert not STATUS.can_move(S.APPROVED, S.PENDING)
    assert STATUS.moves[S.WITHDRAWN] == frozenset()
    # what the store's conditional writes expect
    assert STATUS.sources(S.APPROVED) == ["pending"]
    assert STATUS.sources(S.REJECTED) == ["pending"]
    assert sorted(STATUS.sources(S.WITHDRAWN)) == ["approved", "pending"]
    assert LIVE == {S.PENDING, S.APPROVED}


def test_payment_moves_include_refunding_which_billing_writes():
    assert PAYMENT_STATUS.sources(PaymentStatus.PAID) == ["unpaid"]
    assert PAYMENT_STATUS.sources(PaymentStatus.REFUNDING) == ["paid"]
    assert PAYMENT_STATUS.sources(PaymentStatus.REFUNDED) == ["refunding"]
    assert PAYMENT_STATUS.label("refunding") == "退费中"  # not the English word


# What the web showed for these states before the labels moved into the tables
# (web/ui.js of the first round): the trainees' words must not change.
SHOWN_BEFORE = {"pending": "待审核", "approved": "报名成功", "rejected": "未通过", "withdrawn": "已撤回",
                "unpaid": "未交费", "paid": "已交费", "refunded": "已退费"}


@pytest.mark.parametrize("machine", [STATUS, PAYMENT_STATUS])
def test_labels_are_what_the_web_showed(machine):
    for state in machine.values():
        if state in SHOWN_BEFORE:
            assert machine.label(state) == SHOWN_BEFORE[state], state
    assert all(re.search(r"[\u4e00-\u9fff]", machine.label(s)) for s in machine.values())


def test_tier_labels():
    assert (TIER.label("member"), TIER.label("non_member")) == ("会员", "非会员")


def test_response_and_query_schemas_come_from_the_tables():
    props = RegistrationOut.model_json_schema()["properties"]
    assert props["status"]["enum"] == STATUS.values()
    assert props["payment_status"]["enum"] == ["unpaid", "paid", "refunding", "refunded"]
    assert props["tier"]["enum"] == TIER.values()
    assert ReviewQuery.model_json_schema()["properties"]["status"]["enum"] == STATUS.values()


def test_the_list_answers_next_token_only_when_there_is_more():
    assert RegistrationListOut(registrations=[]).model_dump(mode="json") == {"registrations": []}
    assert RegistrationListOut(registrations=[], next_token="abc").model_dump(mode="json") == {
        "registrations": [], "next_token": "abc"}


def _registration(**overrides):
    fields = dict(registration_id="R1", edition_id="2026", user_sub="u1", name="李玥",
                  unit_name="国家图书馆", job_title="馆员", region="北京", phone="13800138000",
                  email="li@example.com", status="pending", payment_status="unpaid",
                  tier="member", fee_fen=40000, submitted_at=datetime(2026, 4, 5, tzinfo=UTC),
                  edition_status="2026#pending", edition_unit="2026#国家图书馆",
                  edition_email="2026#li@example.com")
    return Registration(**{**fields, **overrides})


def test_known_states_serialise():
    item = _registration(payment_status="refunding").serialize()
    assert item["payment_status"] == {"S": "refunding"}


@pytest.mark.parametrize("field,value", [("status", "accepted"), ("payment_status", "partly_paid"),
                                         ("tier", "gold")])
def test_writing_an_unknown_state_raises(field, value):
    with pytest.raises(ValueError, match="unknown state"):
        _registration(**{field: value}).serialize()


def test_a_condition_on_an_unknown_state_raises():
    with pytest.raises(ValueError, match="unknown state"):
        Registration.status == "aproved"  # noqa: B015 - building the condition is the test
    with pytest.raises(ValueError, match="unknown state"):
        Registration.payment_status.is_in("paid", "refund")


def test_fees_are_integer_fen():
    with pytest.raises(ValueError):
        _registration(fee_fen=400.0).serialize()
