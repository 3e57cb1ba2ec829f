"""The questionnaire answer in three DynamoDB requests (issue 18): the progress items (one
Query) name the registration, which is read once (name, unit and e-mail for the response,
and the refusals), then one transaction. No live-guard read, no existing-response read;
and the refusals keep their codes and wording."""
from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import at
from tests.learning.conftest import LEARNING_OPEN, answers_for, complete_courses, paid_api_trainee, paid_trainee, set_payment
from tests.wire import Request, dynamodb_requests

ANSWERED = at("2026-05-20T10:00:00+08:00")


def wire(log: list[Request]) -> list[str]:
    """The requests as "Operation:table", leaving out what the test stage adds to every
    request (the dev clock and the edition, cached in prod)."""
    calls = []
    for r in log:
        if r.operation == "TransactWriteItems":
            table = ",".join(sorted({next(iter(i.values()))["TableName"].split("-")[-1]
                                     for i in r.params["TransactItems"]}))
        else:
            table = r.table
        if table not in ("kv", "editions"):
            calls.append(f"{r.operation}:{table}")
    return calls


def test_a_response_is_three_requests_and_records_the_registration_s_contact(
        deps: Any, clock: Any, enrolled: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.learning import questionnaire
    from chalicelib.learning.repository import QuestionnaireResponse
    from chalicelib.registration.repository import Registration
    complete_courses(deps, enrolled)
    log = dynamodb_requests(monkeypatch)
    out = questionnaire.submit(deps, enrolled.user_sub, answers_for(deps), ANSWERED)
    assert out["submitted"] is True
    calls = wire(log)
    assert calls == ["Query:learning_progress", "GetItem:registrations",
                     "TransactWriteItems:audit,questionnaire_responses,registrations"], calls
    monkeypatch.undo()
    reg = Registration.get(enrolled.registration_id)
    stored = QuestionnaireResponse.get(enrolled.registration_id)
    assert (stored.name, stored.unit_name, stored.email) == (reg.name, reg.unit_name, reg.email)
    assert stored.awaiting_certificate == "2026"  # listed for the certificate jobs


def test_the_refusals_keep_their_answers_through_the_api(api: Any, deps: Any, clock: Any) -> None:
    from chalicelib.registration.repository import Registration
    from tests.learning.conftest import Trainee
    # Not paid (never enrolled): the registration's own reason
    _email, unpaid = api.signup(name="周玥")
    assert api.register(unpaid).status_code == 201
    token, rid = paid_api_trainee(api, "吴喆")
    clock.set(ANSWERED)
    r = api.post("/questionnaire/responses", unpaid, json={"answers": answers_for(deps)})
    assert r.status_code == 403 and r.data["Code"] == "NOT_APPROVED", r.body
    # Enrolled, one course short: how many are left
    clock.set(LEARNING_OPEN)
    assert api.post("/learning/enroll", token, json={}).status_code == 200
    sub = Registration.get(rid).user_sub
    from chalicelib.editions import service as editions
    course_ids = [c.course_id for c in editions.get_current(deps).courses]
    complete_courses(deps, Trainee(sub, rid, "吴喆"), except_ids=(course_ids[0],))
    clock.set(ANSWERED)
    r = api.post("/questionnaire/responses", token, json={"answers": answers_for(deps)})
    assert r.status_code == 403 and r.data["Code"] == "COURSES_INCOMPLETE", r.body
    assert r.data["Message"] == "还有 1 门课程未学习完，全部学习完后才能填写问卷"
    # Every course done: submitted once; the second answer is refused as a duplicate
    complete_courses(deps, Trainee(sub, rid, "吴喆"))
    r = api.post("/questionnaire/responses", token, json={"answers": answers_for(deps)})
    assert r.status_code == 201, r.body
    r = api.post("/questionnaire/responses", token, json={"answers": answers_for(deps)})
    assert r.status_code == 409 and r.data["Code"] == "QUESTIONNAIRE_ALREADY_SUBMITTED", r.body


def test_an_enrolled_trainee_refunded_since_is_told_so(deps: Any, clock: Any,
                                                       enrolled: Any) -> None:
    """The registration the progress items name is read and checked: refunded -> REFUNDED
    before any write (and the transaction's condition would refuse it anyway)."""
    from chalicelib.learning import questionnaire
    from chalicelib.learning.repository import QuestionnaireResponse
    from chalicelib.platform.errors import ForbiddenError
    complete_courses(deps, enrolled)
    set_payment(enrolled.registration_id, payment_status="refunded")
    with pytest.raises(ForbiddenError) as exc:
        questionnaire.submit(deps, enrolled.user_sub, answers_for(deps), ANSWERED)
    assert exc.value.code == "REFUNDED"
    assert QuestionnaireResponse.count(enrolled.registration_id) == 0
    # paid but never enrolled: no items, so the live guard finds the registration and the
    # answer is how many courses are left (all of them)
    other = paid_trainee("郑玥")
    with pytest.raises(ForbiddenError) as exc:
        questionnaire.submit(deps, other.user_sub, answers_for(deps), ANSWERED)
    assert exc.value.code == "COURSES_INCOMPLETE" and exc.value.details["remaining"] == 10
