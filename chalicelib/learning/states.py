"""Learning's stored state field, as one table: what became of the certificate eligibility a
questionnaire response records. The model's state attribute, the store's conditions and
the web's labels come from it.

A course's progress has no state field: 学习完 is derived from the credited seconds
(`rules.is_completed`), and `rules.ProgressState` is the counters a heartbeat's conditional
write compares, not a state."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.platform.states import StateMachine


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
