"""Certificates (电子结业证书): eligibility and state, issue once inside the download window
(a conditional write; the PDF is made once and kept), short-lived links, public
verification with a masked name, and revocation by an admin. Whether a trainee is
eligible is learning's question (`learning.questionnaire.certificate_eligibility`)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from chalicelib.certificates.errors import CertificateAlreadyRevokedError, CertificateChangedError, CertificateNoInvalidError, CertificateNotFoundError, CertificateRevokedError, NotEligibleError, NotGenuineError
from chalicelib.certificates.numbers import new_certificate_no, normalise
from chalicelib.certificates.pdf import CertificateData, render
from chalicelib.certificates.repository import Certificate, CertificateRepository
from chalicelib.certificates.states import CertificateStatus, MineState, PdfState
from chalicelib.editions import service as editions
from chalicelib.editions.edition import Edition
from chalicelib.learning import queries as learning_records
from chalicelib.learning.questionnaire import certificate_eligibility
from chalicelib.learning.service import require_paid
from chalicelib.learning.states import ResponseCertificateState
from chalicelib.platform.clock import iso, shanghai
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ValidationError, WindowClosedError
from chalicelib.platform.observability import logger
from chalicelib.platform.storage import storage
from chalicelib.platform.text import mask_name
from chalicelib.registration.queries import Registration

certs = CertificateRepository()

BUCKET = "certificates"
LINK_TTL_S = 300
# A request that lost the race to issue waits this long for the winner's PDF before it
# renders the (identical) document itself.
WAIT_FOR_PDF_S = 10.0

UNMET_TEXT = {
    "not_registered": "未报名本届培训",
    "not_approved": "报名未审核通过",
    "not_paid": "未交费",
    "refunded": "已退费",
    "courses_incomplete": "尚有课程未学习完",
    "questionnaire_missing": "未提交问卷",
}


def mine(deps: Deps, user_sub: str, now: datetime) -> dict[str, Any]:
    """Eligibility (approved, paid, every course 学习完, questionnaire submitted) and state:
    not_eligible | eligible | issued | revoked | expired."""
    edition = editions.get_current(deps)
    found = certificate_eligibility(edition, user_sub)
    response, unmet = found.response, found.unmet
    window = edition.window("certificate")
    cert = certs.get(response.certificate_no) if response and response.certificate_no else None
    state: MineState
    if cert is not None:
        state = MineState.REVOKED if cert.status == CertificateStatus.REVOKED else MineState.ISSUED
    elif unmet:
        state = MineState.NOT_ELIGIBLE
    elif (response and response.certificate_state == ResponseCertificateState.EXPIRED) \
            or now >= window.closes:
        state = MineState.EXPIRED
    else:
        state = MineState.ELIGIBLE
    return {
        "edition_id": edition.edition_id, "eligible": not unmet, "unmet": unmet,
        "unmet_text": [UNMET_TEXT[u] for u in unmet], "state": state.value,
        "certificate_no": cert.certificate_no if cert else None,
        "issued_at": iso(cert.issued_at) if cert else None,
        "hours": edition.certificate_hours,
        "download_open": window.is_open(now) and state in (MineState.ELIGIBLE, MineState.ISSUED),
        "window": {"opens": iso(window.opens), "closes": iso(window.closes)},
    }


def download(deps: Deps, user_sub: str, now: datetime) -> dict[str, Any]:
    """Inside the download window: issue the certificate on the first call (once, however
    many calls race) and answer a short-lived link to its PDF."""
    edition = editions.get_current(deps)
    reg = require_paid(edition, user_sub)
    try:
        edition.require_open("certificate", now)
    except WindowClosedError as exc:
        if exc.code == "WINDOW_CLOSED":
            exc.message += "，逾期不再提供证书下载，也不补发"
        raise
    response = learning_records.response_of(reg.registration_id)
    if response is None:
        unmet = certificate_eligibility(edition, user_sub).unmet
        raise NotEligibleError(unmet, [UNMET_TEXT[u] for u in unmet])
    issued_here = False
    if response.certificate_no:
        cert = _get(response.certificate_no)
    else:
        cert = _new_certificate(edition, reg, now)
        if certs.issue(cert, user_sub, now):
            issued_here = True
        else:
            response = learning_records.response_of(reg.registration_id)
            if response is None or not response.certificate_no:
                require_paid(edition, user_sub)
                raise CertificateChangedError()
            cert = _get(response.certificate_no)
    if cert.status == CertificateStatus.REVOKED:
        raise CertificateRevokedError(cert.certificate_no)
    cert = _ensure_pdf(deps, edition, cert, wait=not issued_here)
    link = storage(deps).presigned_get(BUCKET, cert.pdf_key, LINK_TTL_S, now,
                                       filename=f"结业证书-{cert.certificate_no}.pdf",
                                       content_type="application/pdf")
    return {**link, "certificate_no": cert.certificate_no, "issued_at": iso(cert.issued_at)}


def _get(certificate_no: str) -> Certificate:
    cert = certs.get(certificate_no)
    if cert is None:  # the response names it, so it was committed with it
        raise CertificateNotFoundError()
    return cert


def _new_certificate(edition: Edition, reg: Registration, now: datetime) -> Certificate:
    no = new_certificate_no(edition.edition_id)
    learning = edition.window("learning")
    assert learning.opens is not None
    return Certificate(
        certificate_no=no, edition_id=edition.edition_id, edition_title=edition.title,
        registration_id=reg.registration_id, user_sub=reg.user_sub, holder_name=reg.name,
        unit_name=reg.unit_name, hours=edition.certificate_hours,
        learning_from=learning.opens, learning_to=learning.closes - timedelta(seconds=1),
        issued_at=now, status=CertificateStatus.ISSUED.value,
        pdf_key=f"{edition.edition_id}/{no}.pdf", pdf_state=PdfState.PENDING.value)


def _ensure_pdf(deps: Deps, edition: Edition, cert: Certificate, wait: bool) -> Certificate:
    """Render and store the PDF unless it is stored. Made once: a request that did not
    issue waits for the issuer's PDF; only if the issuer died does it render the same
    document (rendering is deterministic). Answers the certificate as stored."""
    if cert.pdf_state == PdfState.STORED:
        return cert
    deadline = time.monotonic() + (WAIT_FOR_PDF_S if wait else 0)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        cert = _get(cert.certificate_no)
        if cert.pdf_state == PdfState.STORED:
            return cert
    data = render_pdf(deps, edition, cert)
    storage(deps).put_object(BUCKET, cert.pdf_key, data, "application/pdf",
                             metadata={"certificate-no": cert.certificate_no})
    certs.mark_stored(cert, len(data))
    logger.info("certificate stored", extra={"certificate_no": cert.certificate_no,
                                             "bytes": len(data)})
    return cert


def verify_url(deps: Deps, edition: Edition, certificate_no: str) -> str:
    base = (edition.certificate.verify_base_url if edition.certificate else None) \
        or deps.settings.public_base_url
    return f"{base.rstrip('/')}/verify.html?no={certificate_no}"


def render_pdf(deps: Deps, edition: Edition, cert: Certificate) -> bytes:
    """The certificate's PDF from its stored data (fpdf2 and segno are imported by `render`
    only when a certificate is made)."""
    seal_key = edition.seal_key()
    seal = storage(deps).get_object(BUCKET, seal_key) if seal_key else None
    spec = edition.certificate
    data = CertificateData(
        certificate_no=cert.certificate_no, holder_name=cert.holder_name,
        unit_name=cert.unit_name, training_title=cert.edition_title,
        organizer=edition.organizer, hours=float(cert.hours), course_count=len(edition.courses),
        learning_from=shanghai(cert.learning_from), learning_to=shanghai(cert.learning_to),
        issued_at=shanghai(cert.issued_at), verify_url=verify_url(deps, edition, cert.certificate_no),
        signer_name=(spec.signer_name if spec and spec.signer_name else edition.organizer),
        seal_text=(spec.seal_text if spec and spec.seal_text else edition.organizer))
    return render(data, seal_image=seal)  # the font: the smallest that holds every character


def _canonical(certificate_no: str) -> str:
    canonical = normalise(certificate_no)
    if canonical is None:
        raise CertificateNoInvalidError()
    return canonical


def verify(deps: Deps, certificate_no: str) -> dict[str, Any]:
    """Public: is this certificate genuine? A masked holder name, hours, edition, date."""
    cert = certs.get(_canonical(certificate_no))
    if cert is None:
        raise NotGenuineError()
    return _public_view(cert)


def _public_view(cert: Certificate) -> dict[str, Any]:
    valid = cert.status == CertificateStatus.ISSUED
    return {"genuine": valid, "status": cert.status, "certificate_no": cert.certificate_no,
            "holder_name": mask_name(cert.holder_name), "hours": cert.hours,
            "edition": cert.edition_title, "edition_id": cert.edition_id,
            "issued_at": iso(cert.issued_at), "revoked_at": iso(cert.revoked_at),
            "revoke_reason": cert.revoke_reason,
            "message": "证书真实有效" if valid else "该证书已被撤销，不再有效"}


def revoke(deps: Deps, certificate_no: str, reason: str, actor: str, now: datetime) -> dict[str, Any]:
    """Admin: revoke with a reason; verification says so from then on."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("撤销须填写原因", field="reason")
    cert = certs.get(_canonical(certificate_no))
    if cert is None:
        raise CertificateNotFoundError()
    if cert.status == CertificateStatus.REVOKED or not certs.revoke(cert, reason, actor, now):
        raise CertificateAlreadyRevokedError()
    return _public_view(_get(cert.certificate_no))
