"""Certificates' service rules on the in-memory twins: eligibility and state, the download
window at its first and last second, issue once, the PDF made once, revocation, the job
steps; and the state tables (an unknown state cannot be written)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.certificates import jobs, service as certificates
from chalicelib.certificates.repository import Certificate
from chalicelib.certificates.states import MINE_STATE, PDF_STATE, STATUS
from chalicelib.learning.repository import QuestionnaireResponse
from chalicelib.learning.states import RESPONSE_CERTIFICATE_STATE
from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError, WindowClosedError
from tests.certificates.unit.conftest import QUESTIONNAIRE_DAY, CertificateWorld
from tests.conftest import at

OPENS = at("2026-06-01T00:00:00+08:00")
CLOSES = at("2026-07-01T00:00:00+08:00")
SECOND = timedelta(seconds=1)


def mine(cw: CertificateWorld, t: Any, now: Any) -> dict[str, Any]:
    return certificates.mine(cw.learning.deps, t.user_sub, now)


def download(cw: CertificateWorld, t: Any, now: Any) -> dict[str, Any]:
    return certificates.download(cw.learning.deps, t.user_sub, now)


# --- eligibility and state --------------------------------------------------------------
def test_state_follows_eligibility_issue_and_revocation(certs: CertificateWorld) -> None:
    w = certs.learning
    t = w.trainee()
    from chalicelib.learning import service as learning
    learning.enroll(w.deps, t.user_sub, at("2026-04-13T00:00:00+08:00"))
    out = mine(certs, t, OPENS)
    assert out["state"] == "not_eligible" and out["eligible"] is False
    assert out["unmet"] == ["courses_incomplete", "questionnaire_missing"]
    assert out["unmet_text"] == ["尚有课程未学习完", "未提交问卷"] and out["download_open"] is False
    f = certs.finished("王芳")
    assert mine(certs, f, OPENS - SECOND)["state"] == "eligible"
    assert mine(certs, f, OPENS)["download_open"] is True
    no = download(certs, f, OPENS)["certificate_no"]
    out = mine(certs, f, OPENS)
    assert out["state"] == "issued" and out["certificate_no"] == no and out["issued_at"]
    certificates.revoke(w.deps, no, "重复颁发", "admin", OPENS)
    out = mine(certs, f, OPENS)
    assert out["state"] == "revoked" and out["download_open"] is False


def test_unpaid_trainee_is_not_eligible(certs: CertificateWorld) -> None:
    t = certs.learning.trainee(payment_status="unpaid")
    assert mine(certs, t, OPENS)["unmet"] == ["not_paid", "courses_incomplete",
                                              "questionnaire_missing"]
    with pytest.raises(ForbiddenError) as err:
        download(certs, t, OPENS)
    assert err.value.code == "NOT_PAID"


def test_not_eligible_download_names_what_is_missing(certs: CertificateWorld) -> None:
    w = certs.learning
    t = w.trainee()
    from chalicelib.learning import service as learning
    learning.enroll(w.deps, t.user_sub, at("2026-04-13T00:00:00+08:00"))
    with pytest.raises(ForbiddenError) as err:
        download(certs, t, OPENS)
    assert err.value.code == "NOT_ELIGIBLE"
    assert err.value.message == "尚不符合领取证书的条件：尚有课程未学习完、未提交问卷"
    assert err.value.details["unmet"] == ["courses_incomplete", "questionnaire_missing"]
    assert certs.certs.items == {}


# --- the download window ----------------------------------------------------------------
def test_download_window_first_and_last_second(certs: CertificateWorld) -> None:
    early, late = certs.finished(), certs.finished("王芳")
    with pytest.raises(WindowClosedError) as err:
        download(certs, early, OPENS - SECOND)
    assert err.value.code == "WINDOW_NOT_OPEN" and certs.certs.items == {}
    link = download(certs, early, OPENS)
    assert "X-Amz-Expires=300" in link["url"] and link["expires_at"] == OPENS + timedelta(seconds=300)
    assert download(certs, late, CLOSES - SECOND)["certificate_no"]
    with pytest.raises(WindowClosedError) as closed:
        download(certs, late, CLOSES)
    assert closed.value.code == "WINDOW_CLOSED"
    assert closed.value.message.endswith("，逾期不再提供证书下载，也不补发")


def test_after_the_window_an_unused_eligibility_is_expired(certs: CertificateWorld) -> None:
    t = certs.finished()
    assert mine(certs, t, CLOSES - SECOND)["state"] == "eligible"
    out = mine(certs, t, CLOSES)
    assert out["state"] == "expired" and out["eligible"] is True and out["download_open"] is False


# --- issue once, PDF once ---------------------------------------------------------------
def test_issued_once_and_the_pdf_made_once(certs: CertificateWorld) -> None:
    t = certs.finished()
    first = download(certs, t, OPENS)
    again = download(certs, t, OPENS + timedelta(days=3))
    assert first["certificate_no"] == again["certificate_no"]
    assert len(certs.certs.items) == 1 and certs.rendered == [first["certificate_no"]]
    stored = certs.certs.get(first["certificate_no"])
    assert stored is not None and stored.pdf_state == "stored" and stored.holder_name == t.name
    assert stored.registration_id == t.registration_id and stored.hours == 30
    response = certs.learning.responses.get(t.registration_id)
    assert response is not None and response.certificate_no == first["certificate_no"]
    assert response.certificate_state == "issued"
    assert [a for _e, a, _who in certs.certs.audit] == ["certificate.issued"]


def test_a_refund_after_eligibility_stops_the_download(certs: CertificateWorld) -> None:
    t = certs.finished()
    certs.learning.registrations.update(t.registration_id, payment_status="refunded")
    with pytest.raises(ForbiddenError) as err:
        download(certs, t, OPENS)
    assert err.value.code == "REFUNDED" and certs.certs.items == {}


def test_a_lost_issue_race_answers_the_winners_certificate(certs: CertificateWorld,
                                                           monkeypatch: Any) -> None:
    """Another request issued between our read and our write: ours loses the condition
    and answers the winner's certificate, with its PDF."""
    t = certs.finished()
    real = certs.certs.issue

    def someone_else_first(cert: Certificate, actor: str, now: Any) -> bool:
        winner = certificates._new_certificate(certs.learning.edition,
                                               certs.learning.registrations.get_registration(t.registration_id), now)
        assert real(winner, actor, now)
        certificates._ensure_pdf(certs.learning.deps, certs.learning.edition, winner, wait=False)
        return real(cert, actor, now)
    monkeypatch.setattr(certs.certs, "issue", someone_else_first)
    link = download(certs, t, OPENS)
    assert len(certs.certs.items) == 1 and link["certificate_no"] in certs.certs.items


def test_a_revoked_certificate_is_not_downloaded(certs: CertificateWorld) -> None:
    t = certs.finished()
    no = download(certs, t, OPENS)["certificate_no"]
    out = certificates.revoke(certs.learning.deps, no.lower().replace("-", " "), " 重复颁发 ",
                              "admin", OPENS)
    assert out["status"] == "revoked" and out["genuine"] is False
    assert out["revoke_reason"] == "重复颁发" and out["message"] == "该证书已被撤销，不再有效"
    with pytest.raises(ConflictError) as err:
        download(certs, t, OPENS)
    assert err.value.code == "CERTIFICATE_REVOKED" and err.value.details["certificate_no"] == no
    with pytest.raises(ConflictError) as twice:
        certificates.revoke(certs.learning.deps, no, "再次", "admin", OPENS)
    assert twice.value.code == "CERTIFICATE_ALREADY_REVOKED"


def test_verification_genuine_made_up_and_mistyped(certs: CertificateWorld) -> None:
    t = certs.finished("欧阳修")
    no = download(certs, t, OPENS)["certificate_no"]
    out = certificates.verify(certs.learning.deps, no)
    assert out["genuine"] is True and out["holder_name"] == "欧*修" and out["status"] == "issued"
    from chalicelib.certificates.numbers import new_certificate_no
    with pytest.raises(NotFoundError) as nf:
        certificates.verify(certs.learning.deps, new_certificate_no("2026"))
    assert nf.value.code == "CERTIFICATE_NOT_FOUND" and nf.value.details == {"genuine": False}
    with pytest.raises(ValidationError) as bad:
        certificates.verify(certs.learning.deps, no[:-1] + ("0" if no[-1] != "0" else "1"))
    assert bad.value.code == "CERTIFICATE_NO_INVALID"
    assert bad.value.details == {"field": "certificate_no", "genuine": False}
    with pytest.raises(ValidationError):
        certificates.revoke(certs.learning.deps, no, "   ", "admin", OPENS)


# --- job steps --------------------------------------------------------------------------
def run_to_end(step: Any, cw: CertificateWorld, now: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    cursor = None
    while True:
        counts, cursor = step(cw.learning.deps, cw.learning.edition, now, cursor, 5.0)
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
        if cursor is None:
            return total


def reads_of_registrations(certs: CertificateWorld, monkeypatch: Any) -> list[str]:
    """The registrations the job reads (the twin's get_registration, counted)."""
    regs = certs.learning.registrations
    read: list[str] = []
    original = regs.get_registration

    def counting(registration_id: str) -> Any:
        read.append(registration_id)
        return original(registration_id)
    monkeypatch.setattr(regs, "get_registration", counting)
    return read


def test_open_step_mails_each_eligible_trainee_once(certs: CertificateWorld,
                                                    monkeypatch: Any) -> None:
    monkeypatch.setattr(jobs, "PAGE", 1)  # one response per page: the walk goes on
    a, b, c = certs.finished("甲"), certs.finished("乙"), certs.finished("丙")
    download(certs, c, OPENS)  # issued: off the jobs' index
    reads = reads_of_registrations(certs, monkeypatch)
    assert run_to_end(jobs.open_certificates, certs, OPENS - SECOND) == {"not_due": 1}
    assert run_to_end(jobs.open_certificates, certs, OPENS) == {"mailed": 2, "skipped": 0}
    assert run_to_end(jobs.open_certificates, certs, OPENS) == {"mailed": 0, "skipped": 0}
    # Answered on 5-20, after refunds closed at course start: no registration is read,
    # the response's e-mail and name (the registration's at submission) are used
    assert reads == []
    assert sorted(to for to, _t, _p in certs.outbox.sent.values()) == sorted(
        certs.learning.registrations.get_registration(t.registration_id).email for t in (a, b))
    (to, template, params), *_ = certs.outbox.sent.values()
    assert template == "certificate.available" and params["name"] in ("甲", "乙")
    assert params["closes"] == "2026年6月30日 24:00"  # as the notice says it


def test_open_step_reads_the_registration_when_a_refund_could_follow_the_response(
        certs: CertificateWorld, monkeypatch: Any) -> None:
    """An edition whose refund requests close after its questionnaire opens: a response
    written before that close may belong to a registration refunded since."""
    edition = certs.learning.edition
    late_refunds = edition.model_copy(update={"windows": edition.windows.model_copy(update={
        "refund": edition.windows.refund.model_copy(update={"closes": QUESTIONNAIRE_DAY + SECOND})})})
    monkeypatch.setattr(certs.learning, "edition", late_refunds)
    a, b = certs.finished("甲"), certs.finished("乙")
    certs.learning.registrations.update(b.registration_id, payment_status="refunded")
    reads = reads_of_registrations(certs, monkeypatch)
    assert run_to_end(jobs.open_certificates, certs, OPENS) == {"mailed": 1, "skipped": 1}
    assert sorted(reads) == sorted([a.registration_id, b.registration_id])
    (to, _template, params), = certs.outbox.sent.values()
    assert to.startswith(a.user_sub[:8]) and params["name"] == "甲"


def test_expire_step_marks_unused_eligibilities_once(certs: CertificateWorld) -> None:
    unused, used = certs.finished("甲"), certs.finished("乙")
    download(certs, used, OPENS)
    assert run_to_end(jobs.expire_certificates, certs, CLOSES - SECOND) == {"not_due": 1}
    # the issued one is not read (the sparse index), nor the expired one the second time
    assert run_to_end(jobs.expire_certificates, certs, CLOSES) == {"expired": 1, "already": 0}
    assert run_to_end(jobs.expire_certificates, certs, CLOSES) == {"expired": 0, "already": 0}
    response = certs.learning.responses.get(unused.registration_id)
    assert response is not None and response.certificate_state == "expired"
    assert mine(certs, unused, CLOSES)["state"] == "expired"
    assert mine(certs, used, CLOSES)["state"] == "issued"


# --- the state tables -------------------------------------------------------------------
def test_the_tables_give_the_conditions_and_the_api_enums() -> None:
    from chalicelib.certificates.models import CertificateMineOut, VerifyOut
    assert STATUS.sources("revoked") == ["issued"] and PDF_STATE.sources("stored") == ["pending"]
    assert MINE_STATE.values() == ["not_eligible", "eligible", "issued", "revoked", "expired"]
    mine_schema = CertificateMineOut.model_json_schema()["properties"]["state"]
    verify_schema = VerifyOut.model_json_schema()["properties"]["status"]
    assert mine_schema["enum"] == MINE_STATE.values()
    assert verify_schema["enum"] == ["issued", "revoked"]
    assert STATUS.label("revoked") == "已撤销" and RESPONSE_CERTIFICATE_STATE.label("expired")


def test_writing_an_unknown_state_raises(certs: CertificateWorld) -> None:
    t = certs.finished()
    no = download(certs, t, OPENS)["certificate_no"]
    cert = certs.certs.get(no)
    assert cert is not None
    cert.serialize()  # as issued: fine
    cert.status = "cancelled"
    with pytest.raises(ValueError, match="certificate.status"):
        cert.serialize()
    cert.status, cert.pdf_state = "revoked", "printed"
    with pytest.raises(ValueError, match="certificate.pdf_state"):
        cert.serialize()
    response = certs.learning.responses.get(t.registration_id)
    assert isinstance(response, QuestionnaireResponse)
    response.certificate_state = "lost"
    with pytest.raises(ValueError, match="questionnaire.certificate_state"):
        response.serialize()
    with pytest.raises(ValueError):  # in a store condition too
        Certificate.status == "cancelled"  # noqa: B015


def test_answers_are_unchanged_by_their_models(certs: CertificateWorld) -> None:
    """Serialised through its typed model, each answer is the JSON the service gave."""
    import json

    from chalicelib.certificates.models import CertificateLinkOut, CertificateMineOut, VerifyOut
    from chalicelib.platform.http import json_response

    def same_json(model: Any, result: dict[str, Any]) -> dict[str, Any]:
        plain = json.loads(json_response(result).body)
        assert json.loads(json_response(model.model_validate(result)).body) == plain
        return plain  # type: ignore[no-any-return]
    t = certs.finished()
    assert same_json(CertificateMineOut, mine(certs, t, OPENS))["hours"] == 30
    no = same_json(CertificateLinkOut, download(certs, t, OPENS))["certificate_no"]
    assert same_json(VerifyOut, certificates.verify(certs.learning.deps, no))["genuine"] is True
    out = same_json(VerifyOut, certificates.revoke(certs.learning.deps, no, "重复", "admin", OPENS))
    assert out["revoked_at"] == "2026-06-01T00:00:00+08:00"
