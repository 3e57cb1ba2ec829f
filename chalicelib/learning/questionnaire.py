"""The course-effect survey (问卷): the edition's questions, one response per trainee after
every course is 学习完 and inside the questionnaire window, the admins' XLSX export, and
the certificate eligibility a response stands for (what the certificates feature asks)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from typing import Any

from chalicelib.editions import service as editions
from chalicelib.editions.edition import Edition
from chalicelib.learning import service as learning
from chalicelib.learning.errors import CoursesIncompleteError, NotAllowedToLearnError, QuestionnaireAlreadySubmittedError, RegistrationChangedError
from chalicelib.learning.queries import ResponseRecord, record_of
from chalicelib.learning.repository import QuestionnaireRepository, QuestionnaireResponse, learner_key
from chalicelib.learning.rules import unmet_payment, validate_answers
from chalicelib.learning.service import courses_view, find_registration, require_paid
from chalicelib.platform.clock import iso, shanghai
from chalicelib.platform.deps import Deps
from chalicelib.platform.paging import walk_pages
from chalicelib.platform.spreadsheets import safe_cell
from chalicelib.registration.queries import Registration

repo = QuestionnaireRepository()
EXPORT_PAGE = 200


def questions_view(edition: Edition) -> list[dict[str, Any]]:
    return [{"question_id": q.question_id, "type": q.type, "text": q.text,
             "course_id": q.course_id, "required": q.required,
             **({"min": 1, "max": 5} if q.type == "rating" else {})}
            for q in edition.questions()]


def get_questionnaire(deps: Deps, user_sub: str, now: datetime) -> dict[str, Any]:
    """The survey, whether the trainee may answer now, and their response if any."""
    edition = editions.get_current(deps)
    reg = find_registration(edition, user_sub)
    window = edition.window("questionnaire")
    unmet = unmet_payment(reg)
    response = repo.get(reg.registration_id) if reg is not None else None
    if reg is not None and not unmet and response is None \
            and not courses_view(edition, reg)["all_completed"]:
        unmet.append("courses_incomplete")
    if not window.is_open(now):
        unmet.append("window_closed")
    return {"edition_id": edition.edition_id, "questions": questions_view(edition),
            "submitted": response is not None,
            "submitted_at": iso(response.submitted_at) if response else None,
            "answers": response.answers if response else None,
            "can_submit": response is None and not unmet, "unmet": unmet,
            "opens": iso(window.opens), "closes": iso(window.closes)}


def submit(deps: Deps, user_sub: str, answers: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One response per trainee, only after every course is 学习完, inside the window."""
    edition = editions.get_current(deps)
    # Three requests: the progress items (one Query), the registration they name, the
    # transaction. The items name the registration they were enrolled under: 选学 needed it
    # approved and paid, a paid one is never withdrawn, and no other can be made for the
    # edition once learning has begun (registration closes first), so it is the one the
    # live guard would give. The registration is read for the name, unit and e-mail the
    # response records (the certificate mail's and the export's; the token carries the
    # account's, which a registration may override) and for the refusals' wording.
    known = learning.progress_repo.list(learner_key(edition.edition_id, user_sub))
    reg = learning.registrations.get_registration(known[0].registration_id) if known else None
    if reg is None:  # not enrolled: the usual answers (not registered, approved, paid)
        reg = require_paid(edition, user_sub)
    elif unmet := unmet_payment(reg):
        raise NotAllowedToLearnError(unmet[0])
    edition.require_open("questionnaire", now)
    # No read of an existing response: the transaction's condition refuses a second one
    # and its cancellation reason says so (a trainee who has submitted has every course
    # 学习完, so the checks below pass and the 409 comes from the write).
    progress = courses_view(edition, reg, known)
    if not progress["all_completed"]:
        raise CoursesIncompleteError(len(progress["courses"]) - progress["completed_count"])
    clean = validate_answers(edition.questions(), answers)
    response = QuestionnaireResponse(
        registration_id=reg.registration_id, edition_id=edition.edition_id, user_sub=user_sub,
        name=reg.name, unit_name=reg.unit_name, email=reg.email, answers=clean,
        submitted_at=now)
    outcome = repo.submit_once(response, user_sub, now)
    if outcome == "duplicate":
        raise QuestionnaireAlreadySubmittedError()
    if outcome != "submitted":
        require_paid(edition, user_sub)
        raise RegistrationChangedError()
    return {"registration_id": reg.registration_id, "submitted": True,
            "submitted_at": iso(now), "answers": clean}


def export_xlsx(deps: Deps, edition_id: str | None) -> tuple[bytes, str]:
    """Every response of the edition as an XLSX workbook (openpyxl imported here only)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    edition = editions.get_edition(deps, edition_id) if edition_id else editions.get_current(deps)
    questions = edition.questions()
    wb = Workbook()
    ws = wb.active
    ws.title = "问卷结果"
    header = ["报名编号", "姓名", "单位", "提交时间（北京时间）"] + [safe_cell(q.text) for q in questions]
    ws.append(header)

    def add_row(r: QuestionnaireResponse) -> bool:
        row: list[Any] = [r.registration_id, r.name, r.unit_name,
                          shanghai(r.submitted_at).strftime("%Y-%m-%d %H:%M:%S")]
        # every user-supplied cell through the one guard: no formula, no control character
        ws.append([safe_cell(v) for v in row]
                  + [safe_cell(r.answers.get(q.question_id)) for q in questions])
        return True
    # every page, whatever it takes (an admin's download, not a job with a budget)
    counts, _ = walk_pages([lambda token: repo.page(edition.edition_id, EXPORT_PAGE, token)],
                           add_row, None, float("inf"))
    count = counts["seen"]
    # Averages of the ratings, one row under the answers.
    if count:
        avg: list[Any] = ["平均分", "", "", ""]
        for i, q in enumerate(questions):
            col = get_column_letter(5 + i)
            avg.append(f"=AVERAGE({col}2:{col}{count + 1})" if q.type == "rating" else "")
        ws.append(avg)
    for i, _ in enumerate(header):
        ws.column_dimensions[get_column_letter(i + 1)].width = 18 if i < 4 else 24
    ws.freeze_panes = "E2"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue(), f"questionnaire-{edition.edition_id}.xlsx"


def backfill_awaiting_certificate(edition_id: str, page: int = 200) -> dict[str, int]:
    """Migration (docs/deploy.md, "Migrations"): mark every response of the edition written
    before the sparse `awaiting_certificate` index whose certificate is neither issued nor
    expired, so the certificate jobs find it. Idempotent and safe while the app runs (each
    mark is conditional on the eligibility still being open and unmarked)."""
    seen = marked = 0
    token: str | None = None
    while True:
        n, m, token = repo.backfill_awaiting(edition_id, page, token)
        seen, marked = seen + n, marked + m
        if token is None:
            return {"seen": seen, "marked": marked}


# --- certificate eligibility (asked by the certificates feature) --------------------------
@dataclass(frozen=True)
class Eligibility:
    """Whether the trainee may have the edition's certificate: approved, paid, every course
    学习完 and the questionnaire submitted. `unmet` names what is missing, in that order."""
    registration: Registration | None
    response: ResponseRecord | None
    unmet: list[str] = field(default_factory=list)


def certificate_eligibility(edition: Edition, user_sub: str) -> Eligibility:
    reg = find_registration(edition, user_sub)
    unmet = unmet_payment(reg)
    item = repo.get(reg.registration_id) if reg is not None else None
    if reg is not None and item is None:
        if not courses_view(edition, reg)["all_completed"]:
            unmet.append("courses_incomplete")
        unmet.append("questionnaire_missing")
    return Eligibility(reg, record_of(item) if item is not None else None, unmet)
