"""The certificate repository's in-memory twin: the same methods and conditions as
chalicelib/certificates/repository.py (issue once per registration, only while paid and
while the response's eligibility is open; revoke once; the PDF stored once), dicts inside.
Items are kept serialised as DynamoDB would hold them, so an unknown state raises here too."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.certificates.repository import Certificate
from chalicelib.certificates.states import STATUS, CertificateStatus, PdfState
from tests.learning.memory import InMemoryQuestionnaireRepository, InMemoryRegistrations


class InMemoryCertificateRepository:
    def __init__(self, responses: InMemoryQuestionnaireRepository,
                 registrations: InMemoryRegistrations) -> None:
        self.responses = responses
        self.registrations = registrations
        self.items: dict[str, dict[str, Any]] = {}
        self.audit: list[tuple[str, str, str]] = []

    def _load(self, certificate_no: str) -> Certificate | None:
        item = self.items.get(certificate_no)
        return Certificate.from_raw_data(item) if item is not None else None

    def _store(self, cert: Certificate) -> None:
        self.items[cert.certificate_no] = cert.serialize()

    def issue(self, cert: Certificate, actor: str, now: datetime) -> bool:
        # one transaction: all conditions first, then every write
        if cert.certificate_no in self.items \
                or not self.responses.certificate_open(cert.registration_id) \
                or not self.registrations.is_paid(cert.registration_id):
            return False
        self._store(cert)
        self.responses.record_certificate(cert.registration_id, cert.certificate_no)
        self.audit.append((f"certificate#{cert.certificate_no}", "certificate.issued", actor))
        return True

    def expire(self, registration_id: str, actor: str, now: datetime) -> bool:
        if not self.responses.certificate_open(registration_id):
            return False
        self.responses.record_expired(registration_id)
        self.audit.append((f"registration#{registration_id}", "certificate.expired", actor))
        return True

    def expire_all(self, registration_ids: list[str], edition_id: str, actor: str,
                   now: datetime) -> list[str]:
        """One transaction per page: the open ones expire (the others' conditions fail and
        they are left out), one audit entry names them."""
        ids = [rid for rid in dict.fromkeys(registration_ids)
               if self.responses.certificate_open(rid)]
        for rid in ids:
            self.responses.record_expired(rid)
        if ids:
            self.audit.append((f"certificates#{edition_id}", "certificate.expired", actor))
        return ids

    def get(self, certificate_no: str) -> Certificate | None:
        return self._load(certificate_no)

    def mark_stored(self, cert: Certificate, size: int) -> None:
        stored = self._load(cert.certificate_no)
        assert stored is not None
        if stored.pdf_state == PdfState.PENDING:
            stored.pdf_state, stored.pdf_bytes = PdfState.STORED.value, size
            self._store(stored)
        cert.pdf_state, cert.pdf_bytes = stored.pdf_state, stored.pdf_bytes

    def revoke(self, cert: Certificate, reason: str, actor: str, now: datetime) -> bool:
        stored = self._load(cert.certificate_no)
        if stored is None or stored.status not in STATUS.sources(CertificateStatus.REVOKED):
            return False
        stored.status = CertificateStatus.REVOKED.value
        stored.revoked_at, stored.revoked_by, stored.revoke_reason = now, actor, reason
        self._store(stored)
        self.audit.append((f"certificate#{cert.certificate_no}", "certificate.revoked", actor))
        return True
