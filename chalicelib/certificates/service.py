"""Certificates (电子结业证书): eligibility and state, issue once inside the download window
(a conditional write; the PDF is made once and kept), short-lived links, public
verification with a masked name, and revocation by an admin."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from chalicelib.platform.clock import iso, shanghai
from chalicelib.certificates.numbers import new_certificate_no, normalise
from chalicelib.editions.edition import Edition
from chalicelib.platform.text import mask_name
from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError, WindowClosedError
from chalicelib.platform.observability import logger
from chalicelib.editions import service as editions
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.deps import Deps
from chalicelib.learning.service import courses_view, find_registration, require_paid, unmet_payment
from chalicelib.learning.repository import Certificate, CertificateRepository, QuestionnaireRepository, QuestionnaireResponse

certs = CertificateRepository()
responses = QuestionnaireRepository()

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

mail.register_template(
    "certificate.available",
    "【证书可下载】{edition_title} 电子结业证书",
    "{name}，您好：\n\n您已完成{edition_title}的全部课程学习并提交问卷，电子结业证书现已开放下载。"
    "\n请于 {closes} 前登录平台下载；逾期不再提供下载和补发。")


def _eligibility(edition: Edition, user_sub: str) -> tuple[Any, QuestionnaireResponse | None, list[str]]:
    reg = find_registration(edition, user_sub)
    unmet = unmet_payment(reg)
    response = responses.get(reg.registration_id) if reg is not None else None
    if reg is not None and response is None:
        if not courses_view(edition, reg)["all_completed"]:
            unmet.append("courses_incomplete")
        unmet.append("questionnaire_missing")
    return reg, response, unmet


def mine(deps: Deps, user_sub: str, now: datetime) -> dict[str, Any]:
    """Eligibility (approved, paid, every course 学习完, questionnaire submitted) and state:
    not_eligible | eligible | issued | revoked | expired."""
    edition = editions.get_current(deps)
    _reg, response, unmet = _eligibility(edition, user_sub)
    window = edition.window("certificate")
    cert = certs.get(response.certificate_no) if response and response.certificate_no else None
    if cert is not None:
        state = "revoked" if cert.status == "revoked" else "issued"
    elif unmet:
        state = "not_eligible"
    elif (response and response.certificate_state == "expired") or now >= window.closes:
        state = "expired"
    else:
        state = "eligible"
    return {
        "edition_id": edition.edition_id, "eligible": not unmet, "unmet": unmet,
        "unmet_text": [UNMET_TEXT[u] for u in unmet], "state": state,
        "certificate_no": cert.certificate_no if cert else None,
        "issued_at": iso(cert.issued_at) if cert else None,
        "hours": edition.certificate_hours,
        "download_open": window.is_open(now) and state in ("eligible", "issued"),
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
    response = responses.get(reg.registration_id)
    if response is None:
        _r, _resp, unmet = _eligibility(edition, user_sub)
        raise ForbiddenError("尚不符合领取证书的条件：" + "、".join(UNMET_TEXT[u] for u in unmet),
                             code="NOT_ELIGIBLE", unmet=unmet)
    issued_here = False
    if response.certificate_no:
        cert = _get(response.certificate_no)
    else:
        cert = _new_certificate(edition, reg, now)
        if certs.issue(cert, response, user_sub, now):
            issued_here = True
        else:
            response.refresh(consistent_read=True)
            if not response.certificate_no:
                require_paid(edition, user_sub)
                raise ConflictError("证书状态已变化，请刷新后重试", code="STATE_CHANGED")
            cert = _get(response.certificate_no)
    if cert.status == "revoked":
        raise ConflictError("该证书已被撤销，不能下载", code="CERTIFICATE_REVOKED",
                            certificate_no=cert.certificate_no)
    _ensure_pdf(deps, edition, cert, wait=not issued_here)
    from chalicelib.platform.storage import storage
    link = storage(deps).presigned_get(BUCKET, cert.pdf_key, LINK_TTL_S, now,
                                       filename=f"结业证书-{cert.certificate_no}.pdf",
                                       content_type="application/pdf")
    return {**link, "certificate_no": cert.certificate_no, "issued_at": iso(cert.issued_at)}


def _get(certificate_no: str) -> Certificate:
    cert = certs.get(certificate_no)
    if cert is None:  # the response names it, so it was committed with it
        raise NotFoundError("证书不存在", code="CERTIFICATE_NOT_FOUND")
    return cert


def _new_certificate(edition: Edition, reg: Any, now: datetime) -> Certificate:
    no = new_certificate_no(edition.edition_id)
    learning = edition.window("learning")
    assert learning.opens is not None
    return Certificate(
        certificate_no=no, edition_id=edition.edition_id, edition_title=edition.title,
        registration_id=reg.registration_id, user_sub=reg.user_sub, holder_name=reg.name,
        unit_name=reg.unit_name, hours=edition.certificate_hours,
        learning_from=learning.opens, learning_to=learning.closes - timedelta(seconds=1),
        issued_at=now, status="issued", pdf_key=f"{edition.edition_id}/{no}.pdf",
        pdf_state="pending")


def _ensure_pdf(deps: Deps, edition: Edition, cert: Certificate, wait: bool) -> None:
    """Render and store the PDF unless it is stored. Made once: a request that did not
    issue waits for the issuer's PDF; only if the issuer died does it render the same
    document (rendering is deterministic)."""
    if cert.pdf_state == "stored":
        return
    deadline = time.monotonic() + (WAIT_FOR_PDF_S if wait else 0)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        cert.refresh(consistent_read=True)
        if cert.pdf_state == "stored":
            return
    from chalicelib.platform.storage import storage
    data = render_pdf(deps, edition, cert)
    storage(deps).put_object(BUCKET, cert.pdf_key, data, "application/pdf",
                             metadata={"certificate-no": cert.certificate_no})
    certs.mark_stored(cert, len(data))
    logger.info("certificate stored", extra={"certificate_no": cert.certificate_no,
                                             "bytes": len(data)})


def verify_url(deps: Deps, edition: Edition, certificate_no: str) -> str:
    base = (edition.certificate.verify_base_url if edition.certificate else None) \
        or deps.settings.public_base_url
    return f"{base.rstrip('/')}/verify.html?no={certificate_no}"


def render_pdf(deps: Deps, edition: Edition, cert: Certificate) -> bytes:
    """The certificate's PDF from its stored data (fonts, fpdf2, segno imported here)."""
    from chalicelib.certificates.pdf import CertificateData, render
    from chalicelib.platform.fonts import cjk_face_index, cjk_font_path
    from chalicelib.platform.storage import storage
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
    path = cjk_font_path()
    return render(data, str(path), cjk_face_index(path), seal_image=seal)


def _canonical(certificate_no: str) -> str:
    canonical = normalise(certificate_no)
    if canonical is None:
        raise ValidationError("证书编号格式不正确或校验位错误", field="certificate_no",
                              code="CERTIFICATE_NO_INVALID", genuine=False)
    return canonical


def verify(deps: Deps, certificate_no: str) -> dict[str, Any]:
    """Public: is this certificate genuine? A masked holder name, hours, edition, date."""
    cert = certs.get(_canonical(certificate_no))
    if cert is None:
        raise NotFoundError("查无此证书：该编号不是本平台颁发的证书", code="CERTIFICATE_NOT_FOUND",
                            genuine=False)
    return _public_view(cert)


def _public_view(cert: Certificate) -> dict[str, Any]:
    valid = cert.status == "issued"
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
        raise NotFoundError("证书不存在", code="CERTIFICATE_NOT_FOUND")
    if cert.status == "revoked" or not certs.revoke(cert, reason, actor, now):
        raise ConflictError("该证书已被撤销", code="CERTIFICATE_ALREADY_REVOKED")
    cert.refresh(consistent_read=True)
    return _public_view(cert)
