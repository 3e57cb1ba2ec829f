"""Learning's states, each one table: a course's progress as the trainee sees it, and what
became of the certificate eligibility a questionnaire response records. The models' state
attributes, the store's conditions, the response schemas and the web's labels come from
these."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.platform.states import StateMachine


class CourseStatus(StrEnum):
    """Derived from the credited time (rules.course_status); never stored as text."""
    NOT_STARTED = "not_started"  # enrolled, nothing credited yet
    LEARNING = "learning"  # some time credited, below the required share
    COMPLETED = "completed"  # 学习完: the required share is credited (it stays so)


COURSE_STATUS = StateMachine.of("learning.course_status", CourseStatus, {
    CourseStatus.NOT_STARTED: {CourseStatus.LEARNING, CourseStatus.COMPLETED},
    CourseStatus.LEARNING: {CourseStatus.COMPLETED},
    CourseStatus.COMPLETED: set(),
}, {CourseStatus.NOT_STARTED: "未开始", CourseStatus.LEARNING: "学习中",
    CourseStatus.COMPLETED: "学习完"})


class ResponseCertificateState(StrEnum):
    """`QuestionnaireResponse.certificate_state`. Absent: the eligibility is open (no
    certificate yet, the download window not over); both moves start from absent, so the
    store's conditions are `certificate_state does not exist`."""
    ISSUED = "issued"  # a certificate was issued (its number is on the response)
    EXPIRED = "expired"  # the download window closed without a download


RESPONSE_CERTIFICATE_STATE = StateMachine.of(
    "questionnaire.certificate_state", ResponseCertificateState,
    {ResponseCertificateState.ISSUED: set(), ResponseCertificateState.EXPIRED: set()},
    {ResponseCertificateState.ISSUED: "已颁发证书", ResponseCertificateState.EXPIRED: "逾期未领取"})
