"""What other features may read about learning: small named read-only functions over the
progress items and the questionnaire responses. Services of other features (reports,
privacy, certificates) import this module, never `learning.repository`. Answers are plain
frozen records, not the store's items."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.learning.repository import Progress, ProgressRepository, QuestionnaireRepository, QuestionnaireResponse, learner_key

__all__ = ["CourseProgress", "ResponseRecord", "progress_of", "all_courses_done",
           "responses_of_edition", "response_of", "page_responses", "page_awaiting_certificate",
           "answers_of"]

progress_repo = ProgressRepository()  # the unit tests swap in an in-memory twin
response_repo = QuestionnaireRepository()


@dataclass(frozen=True)
class CourseProgress:
    """One trainee's progress in one course (exists from enrolment on)."""
    edition_id: str
    course_id: str
    credited_s: int
    required_s: int
    high_water_s: int
    completed_at: datetime | None


@dataclass(frozen=True)
class ResponseRecord:
    """A questionnaire response without its answers, and what became of the certificate
    eligibility it records (`certificate_no` once issued; `certificate_state`)."""
    registration_id: str
    edition_id: str
    user_sub: str
    submitted_at: datetime
    certificate_no: str | None
    certificate_state: str | None
    # as the registration held them when the response was written (the certificate mail)
    name: str = ""
    email: str = ""


def _course(item: Progress) -> CourseProgress:
    return CourseProgress(edition_id=item.edition_id, course_id=item.course_id,
                          credited_s=int(item.credited_s or 0),
                          required_s=int(item.required_s or 0),
                          high_water_s=int(item.high_water_s or 0),
                          completed_at=item.completed_at)


def record_of(item: QuestionnaireResponse) -> ResponseRecord:
    return ResponseRecord(registration_id=item.registration_id, edition_id=item.edition_id,
                          user_sub=item.user_sub, submitted_at=item.submitted_at,
                          certificate_no=item.certificate_no,
                          certificate_state=item.certificate_state,
                          name=item.name or "", email=item.email or "")


def progress_of(edition_id: str, user_sub: str) -> list[CourseProgress]:
    """A trainee's progress items of an edition, by course id (empty: not enrolled)."""
    return [_course(p) for p in progress_repo.list(learner_key(edition_id, user_sub), consistent=False)]


def all_courses_done(edition_id: str, user_sub: str, course_count: int) -> bool:
    """Every one of the edition's `course_count` courses is 学习完 (one Query)."""
    items = progress_of(edition_id, user_sub)
    return len(items) >= course_count and all(p.completed_at is not None for p in items)


def responses_of_edition(edition_id: str) -> list[ResponseRecord]:
    """Every questionnaire response of an edition, in submission order (reports)."""
    return [record_of(r) for r in response_repo.all_of_edition(edition_id)]


def response_of(registration_id: str) -> ResponseRecord | None:
    """The registration's questionnaire response (consistent read), if submitted."""
    item = response_repo.get(registration_id)
    return record_of(item) if item is not None else None


def page_responses(edition_id: str, limit: int, token: str | None
                   ) -> tuple[list[ResponseRecord], str | None]:
    """One page of an edition's responses in submission order, and the next page's token."""
    items, next_token = response_repo.page(edition_id, limit, token)
    return [record_of(r) for r in items], next_token


def page_awaiting_certificate(edition_id: str, limit: int, token: str | None
                              ) -> tuple[list[ResponseRecord], str | None]:
    """One page of the edition's responses whose certificate is neither issued nor expired
    (a sparse index: the others are not read), in submission order, and the next token.
    Eventually consistent: the certificate jobs' own conditions decide."""
    items, next_token = response_repo.page_awaiting(edition_id, limit, token)
    return [record_of(r) for r in items], next_token


def answers_of(registration_id: str) -> dict[str, object] | None:
    """The answers of the registration's questionnaire response, if submitted (the
    person's own copy: privacy's export)."""
    item = response_repo.get(registration_id)
    return dict(item.answers or {}) if item is not None else None
