"""The questionnaire: only after every course is 学习完, inside its window, one per trainee;
answers validated; admins export XLSX."""
from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest

from chalicelib.platform.errors import ConflictError, ForbiddenError, ValidationError, WindowClosedError
from chalicelib.learning import questionnaire
from tests.conftest import at
from tests.learning.conftest import QUESTIONNAIRE_OPEN, answers_for, complete_courses, paid_trainee
from tests.wire import dynamodb_requests


def test_questions_are_the_editions(deps: Any, clock: Any, enrolled: Any) -> None:
    out = questionnaire.get_questionnaire(deps, enrolled.user_sub, clock.now())
    ids = [q["question_id"] for q in out["questions"]]
    assert ids[:2] == ["course_C01", "course_C02"] and ids[-2:] == ["overall", "comments"]
    assert out["questions"][0]["type"] == "rating" and out["questions"][0]["course_id"] == "C01"
    assert out["submitted"] is False and out["can_submit"] is False
    assert "courses_incomplete" in out["unmet"]


def test_refused_before_every_course_is_completed(deps: Any, clock: Any, enrolled: Any) -> None:
    complete_courses(deps, enrolled, except_ids=("C10",))
    clock.set(QUESTIONNAIRE_OPEN)
    with pytest.raises(ForbiddenError) as err:
        questionnaire.submit(deps, enrolled.user_sub, answers_for(deps), clock.now())
    assert err.value.code == "COURSES_INCOMPLETE" and err.value.details["remaining"] == 1


def test_window_first_and_last_second(deps: Any, clock: Any, enrolled: Any) -> None:
    complete_courses(deps, enrolled)
    clock.set(at("2026-04-19T23:59:59+08:00"))
    with pytest.raises(WindowClosedError):
        questionnaire.submit(deps, enrolled.user_sub, answers_for(deps), clock.now())
    clock.set(at("2026-06-13T00:00:00+08:00"))
    with pytest.raises(WindowClosedError):
        questionnaire.submit(deps, enrolled.user_sub, answers_for(deps), clock.now())
    clock.set(at("2026-06-12T23:59:59+08:00"))
    out = questionnaire.submit(deps, enrolled.user_sub, answers_for(deps), clock.now())
    assert out["submitted"] is True


def test_one_response_per_trainee(deps: Any, clock: Any, enrolled: Any) -> None:
    complete_courses(deps, enrolled)
    clock.set(QUESTIONNAIRE_OPEN)
    questionnaire.submit(deps, enrolled.user_sub, answers_for(deps), clock.now())
    with pytest.raises(ConflictError) as err:
        questionnaire.submit(deps, enrolled.user_sub, answers_for(deps), clock.now())
    assert err.value.code == "QUESTIONNAIRE_ALREADY_SUBMITTED"
    view = questionnaire.get_questionnaire(deps, enrolled.user_sub, clock.now())
    assert view["submitted"] is True and view["answers"]["overall"] == 5


@pytest.mark.parametrize("change, field", [
    ({"overall": 6}, "answers.overall"),
    ({"overall": True}, "answers.overall"),
    ({"overall": "5"}, "answers.overall"),
    ({"course_C03": None}, "answers.course_C03"),
    ({"nope": 3}, "answers.nope"),
    ({"comments": "长" * 2001}, "answers.comments"),
])
def test_bad_answers_name_the_field(deps: Any, clock: Any, enrolled: Any,
                                    change: dict[str, Any], field: str) -> None:
    complete_courses(deps, enrolled)
    clock.set(QUESTIONNAIRE_OPEN)
    answers = {**answers_for(deps), **change}
    answers = {k: v for k, v in answers.items() if v is not None}
    with pytest.raises(ValidationError) as err:
        questionnaire.submit(deps, enrolled.user_sub, answers, clock.now())
    assert err.value.details["field"] == field


def test_optional_comment_may_be_left_out(deps: Any, clock: Any, enrolled: Any) -> None:
    complete_courses(deps, enrolled)
    clock.set(QUESTIONNAIRE_OPEN)
    answers = {k: v for k, v in answers_for(deps).items() if k != "comments"}
    out = questionnaire.submit(deps, enrolled.user_sub, answers, clock.now())
    assert "comments" not in out["answers"]


def test_export_xlsx_has_every_response(deps: Any, clock: Any, enrolled: Any) -> None:
    from openpyxl import load_workbook

    from chalicelib.learning import service as learning
    complete_courses(deps, enrolled)
    clock.set(QUESTIONNAIRE_OPEN)
    questionnaire.submit(deps, enrolled.user_sub, {**answers_for(deps), "comments": "=1+1"},
                         clock.now())
    other = paid_trainee("王喆")
    learning.enroll(deps, other.user_sub, clock.now())
    complete_courses(deps, other)
    questionnaire.submit(deps, other.user_sub, {**answers_for(deps), "overall": 3}, clock.now())
    data, filename = questionnaire.export_xlsx(deps, None)
    assert filename == "questionnaire-2026.xlsx"
    ws = load_workbook(BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("报名编号", "姓名", "单位", "提交时间（北京时间）")
    names = {r[1] for r in rows[1:3]}
    assert names == {"李玥", "王喆"}
    overall_col = rows[0].index("您对本次培训的总体评价")
    assert sorted(r[overall_col] for r in rows[1:3]) == [3, 5]
    assert "'=1+1" in [r[-1] for r in rows[1:3]]  # a comment never becomes a formula
    assert rows[3][0] == "平均分"


def test_a_second_response_is_refused_by_the_write_not_a_read(
        deps: Any, clock: Any, enrolled: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No read of an existing response before the transaction (issue 18): its condition
    refuses a second response and the 409 comes from the cancellation reason; nothing of
    the first response changes."""
    from chalicelib.learning.repository import QuestionnaireResponse
    from chalicelib.platform.store.audit import history
    complete_courses(deps, enrolled)
    clock.set(QUESTIONNAIRE_OPEN)
    log = dynamodb_requests(monkeypatch)
    questionnaire.submit(deps, enrolled.user_sub, answers_for(deps), clock.now())
    clock.advance(minutes=1)
    with pytest.raises(ConflictError) as err:
        questionnaire.submit(deps, enrolled.user_sub, {**answers_for(deps), "overall": 1},
                             clock.now())
    assert err.value.code == "QUESTIONNAIRE_ALREADY_SUBMITTED"
    assert [r.operation for r in log if r.operation in ("GetItem", "Query")
            and "questionnaire" in r.params.get("TableName", "")] == []
    monkeypatch.undo()
    stored = QuestionnaireResponse.get(enrolled.registration_id)
    assert stored.answers["overall"] == 5 and stored.submitted_at == QUESTIONNAIRE_OPEN
    actions = [e.action for e in history(f"registration#{enrolled.registration_id}")]
    assert actions.count("questionnaire.submitted") == 1
