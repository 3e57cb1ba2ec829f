"""Issued certificates: the only persistence code of the certificates feature, private to
chalicelib.certificates. The table (`certificates`) is unchanged from when it lived with
learning's records. Issuing and expiring also write the questionnaire response the
eligibility is recorded on: through `learning.transitions`, in the same transaction."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.models import Model

from chalicelib.certificates.states import PDF_STATE, STATUS, CertificateStatus, PdfState
from chalicelib.learning import transitions as responses
from chalicelib.platform.store.attributes import StateAttribute
from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import committed, is_condition_failure, register, transaction
from chalicelib.registration import transitions as registration


EXPIRE_PAGE = 99  # a transaction holds at most 100 items: the responses and the audit entry


@register
class Certificate(Model):
    """An issued certificate. Its data never changes after issue except the revocation
    fields and the PDF bookkeeping (pending -> stored)."""
    class Meta:
        table_name = "certificates"

    certificate_no = UnicodeAttribute(hash_key=True)
    edition_id = UnicodeAttribute()
    edition_title = UnicodeAttribute()
    registration_id = UnicodeAttribute()
    user_sub = UnicodeAttribute()
    holder_name = UnicodeAttribute()
    unit_name = UnicodeAttribute()
    hours = NumberAttribute()
    learning_from = UTCDateTimeAttribute()
    learning_to = UTCDateTimeAttribute()
    issued_at = UTCDateTimeAttribute()
    status = StateAttribute(STATUS)
    revoked_at = UTCDateTimeAttribute(null=True)
    revoked_by = UnicodeAttribute(null=True)
    revoke_reason = UnicodeAttribute(null=True)
    pdf_key = UnicodeAttribute()
    pdf_state = StateAttribute(PDF_STATE)
    pdf_bytes = NumberAttribute(null=True)


class CertificateRepository:
    def issue(self, cert: Certificate, actor: str, now: datetime) -> bool:
        """Issue at most once per registration: the response item takes the number in the
        same transaction (condition: it has none), and the registration must still be
        approved and paid. False when another request issued first or it is not allowed."""
        def write(tx: Any) -> None:
            tx.save(cert, condition=Certificate.certificate_no.does_not_exist())
            responses.record_certificate(tx, cert.registration_id, cert.certificate_no)
            registration.require_paid(tx, cert.registration_id)
            tx.save(audit_entry(f"certificate#{cert.certificate_no}", "certificate.issued",
                                actor, now, {"registration_id": cert.registration_id}))
        return committed(write)

    def expire(self, registration_id: str, actor: str, now: datetime) -> bool:
        """The download window ended without a certificate: record it once."""
        def write(tx: Any) -> None:
            responses.record_expired(tx, registration_id)
            tx.save(audit_entry(f"registration#{registration_id}", "certificate.expired",
                                actor, now))
        return committed(write)

    def expire_all(self, registration_ids: list[str], edition_id: str, actor: str,
                   now: datetime) -> list[str]:
        """A job page's expiries in one transaction: each response's mark, and one audit
        entry (`certificates#<edition>`) naming every registration it expired, so the
        append-only record still has each transition at one item per page instead of one
        per expiry. A response whose eligibility is no longer open (a condition failed) is
        left out and the rest are written again; returns the ids expired now."""
        unique = list(dict.fromkeys(registration_ids))
        return [rid for at in range(0, len(unique), EXPIRE_PAGE)
                for rid in self._expire_chunk(unique[at:at + EXPIRE_PAGE], edition_id, actor, now)]

    def _expire_chunk(self, ids: list[str], edition_id: str, actor: str,
                      now: datetime) -> list[str]:
        while ids:
            try:
                with transaction() as tx:
                    for rid in ids:
                        responses.record_expired(tx, rid)
                    tx.save(audit_entry(f"certificates#{edition_id}", "certificate.expired",
                                        actor, now, {"registration_ids": ids}))
                return ids
            except TransactWriteError as exc:
                if not is_condition_failure(exc):
                    raise
                # in the order sent: PynamoDB sends condition checks, deletes, puts (the
                # audit entry), then updates (the responses, in the order given)
                reasons = list(getattr(exc, "cancellation_reasons", None) or [])[-len(ids):]
                lost = {rid for rid, r in zip(ids, reasons, strict=False)
                        if r is not None and r.code == "ConditionalCheckFailed"}
                if not lost:
                    raise
                ids = [rid for rid in ids if rid not in lost]
        return []

    def get(self, certificate_no: str) -> Certificate | None:
        try:
            return Certificate.get(certificate_no, consistent_read=True)
        except DoesNotExist:
            return None

    def mark_stored(self, cert: Certificate, size: int) -> None:
        try:
            cert.update(actions=[Certificate.pdf_state.set(PdfState.STORED.value),
                                 Certificate.pdf_bytes.set(size)],
                        condition=Certificate.pdf_state.is_in(*PDF_STATE.sources(PdfState.STORED)))
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
            cert.refresh(consistent_read=True)  # another request stored it first

    def revoke(self, cert: Certificate, reason: str, actor: str, now: datetime) -> bool:
        """Revoke once (condition: still issued). False when it was revoked meanwhile."""
        def write(tx: Any) -> None:
            tx.update(cert, actions=[
                Certificate.status.set(CertificateStatus.REVOKED.value),
                Certificate.revoked_at.set(now), Certificate.revoked_by.set(actor),
                Certificate.revoke_reason.set(reason)],
                condition=Certificate.status.is_in(*STATUS.sources(CertificateStatus.REVOKED)))
            tx.save(audit_entry(f"certificate#{cert.certificate_no}", "certificate.revoked",
                                actor, now, {"reason": reason}))
        return committed(write)
