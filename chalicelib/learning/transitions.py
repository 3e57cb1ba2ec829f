"""What the certificates feature writes on a questionnaire response inside its OWN DynamoDB
transaction: the eligibility the response records is used (a certificate was issued) or
lapsed (the download window closed). Each happens at most once per response: the
condition is that neither happened yet. Learning owns the item (repository.py says why the
two fields live on it); these are the only writes of `certificate_no`/`certificate_state`,
and each takes the response out of the sparse `awaiting_certificate` index in the same write."""
from __future__ import annotations

from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib.learning.repository import QuestionnaireResponse
from chalicelib.learning.states import ResponseCertificateState


def _still_open() -> Any:
    """A response exists (an update must not create one) and holds no certificate outcome."""
    return (QuestionnaireResponse.registration_id.exists()
            & QuestionnaireResponse.certificate_no.does_not_exist()
            & QuestionnaireResponse.certificate_state.does_not_exist())


def record_certificate(tx: TransactWrite, registration_id: str, certificate_no: str) -> None:
    """The response takes the certificate's number (the issue's at-most-once guard)."""
    tx.update(QuestionnaireResponse(registration_id=registration_id), actions=[
        QuestionnaireResponse.certificate_no.set(certificate_no),
        QuestionnaireResponse.certificate_state.set(ResponseCertificateState.ISSUED.value),
        QuestionnaireResponse.awaiting_certificate.remove()],  # leaves the jobs' index
        condition=_still_open())


def record_expired(tx: TransactWrite, registration_id: str) -> None:
    """The download window ended without a certificate: recorded once."""
    tx.update(QuestionnaireResponse(registration_id=registration_id), actions=[
        QuestionnaireResponse.certificate_state.set(ResponseCertificateState.EXPIRED.value),
        QuestionnaireResponse.awaiting_certificate.remove()],
        condition=_still_open())


def erase_contact(tx: TransactWrite, registration_id: str, name: str, email: str) -> None:
    """Erasure (privacy): the response keeps its answers and its certificate outcome; the
    name and e-mail it was written with become the erased account's placeholders."""
    tx.update(QuestionnaireResponse(registration_id=registration_id), actions=[
        QuestionnaireResponse.name.set(name), QuestionnaireResponse.email.set(email)],
        condition=QuestionnaireResponse.registration_id.exists())
