"""The certificates' job steps (idempotent) and the questionnaire -> certificate -> public
verification journey through the API."""
from __future__ import annotations

from typing import Any

from chalicelib.certificates import jobs as certificate_jobs
from tests.conftest import at
from tests.learning.conftest import CERT_CLOSES, CERT_OPENS, LEARNING_CLOSES, LEARNING_OPEN, answers_for, complete_courses, paid_api_trainee, run_to_end


def test_open_certificates_mails_eligible_once(deps: Any, clock: Any, finished: Any) -> None:
    from chalicelib.platform.mail import outbox as mail
    first = run_to_end(certificate_jobs.open_certificates, deps, CERT_OPENS)
    again = run_to_end(certificate_jobs.open_certificates, deps, CERT_OPENS)
    assert first == {"mailed": 1, "skipped": 0} and again == {"mailed": 0, "skipped": 0}
    sent = [m for m in mail.list_mail(None) if m["template"] == "certificate.available"]
    assert len(sent) == 1 and "电子结业证书" in sent[0]["subject"]


def test_expire_certificates_marks_unused_once(deps: Any, clock: Any, finished: Any) -> None:
    from chalicelib.certificates import service as certificates
    assert run_to_end(certificate_jobs.expire_certificates, deps, LEARNING_CLOSES) == {"not_due": 1}
    first = run_to_end(certificate_jobs.expire_certificates, deps, CERT_CLOSES)
    again = run_to_end(certificate_jobs.expire_certificates, deps, CERT_CLOSES)
    # the second run reads nothing: the expired response left the sparse index
    assert first == {"expired": 1, "already": 0} and again == {"expired": 0, "already": 0}
    assert certificates.mine(deps, finished.user_sub, CERT_CLOSES)["state"] == "expired"


def test_questionnaire_certificate_and_verify_through_the_api(api: Any, deps: Any,
                                                              clock: Any) -> None:
    from tests.learning.conftest import Trainee
    token, reg_id = paid_api_trainee(api, "孙堃")
    clock.set(LEARNING_OPEN)
    assert api.post("/learning/enroll", token).status_code == 200
    sub = api.get("/registrations/mine", token).data["registrations"][0]
    trainee = Trainee(user_sub="", registration_id=reg_id, name="孙堃")
    from chalicelib.registration.repository import Registration
    trainee.user_sub = Registration.get(sub["registration_id"]).user_sub
    complete_courses(deps, trainee)
    clock.set(at("2026-05-01T09:00:00+08:00"))
    r = api.post("/questionnaire/responses", token,
                 json={"answers": {**answers_for(deps), "overall": True}})
    assert r.status_code == 400 and r.data["field"].startswith("answers.overall")
    r = api.post("/questionnaire/responses", token, json={"answers": answers_for(deps)})
    assert r.status_code == 201, r.body
    r = api.post("/questionnaire/responses", token, json={"answers": answers_for(deps)})
    assert r.status_code == 409
    admin = api.staff("admin")
    r = api.get("/admin/questionnaire/export", admin, headers={"Accept": "*/*"})
    assert r.status_code == 200 and r.body[:2] == b"PK"
    assert api.get("/admin/questionnaire/export", token).status_code == 403
    clock.set(CERT_OPENS)
    r = api.get("/certificates/mine", token)
    assert r.data["eligible"] is True and r.data["state"] == "eligible"
    r = api.get("/certificates/mine/download", token)
    assert r.status_code == 200, r.body
    no = r.data["certificate_no"]
    r = api.get(f"/verify/{no}")  # public: no token
    assert r.status_code == 200 and r.data["genuine"] is True and r.data["holder_name"] == "孙*"
    r = api.post(f"/admin/certificates/{no}/revoke", admin, json={"reason": "重复颁发"})
    assert r.status_code == 200 and r.data["status"] == "revoked"
    r = api.get(f"/verify/{no}")
    assert r.data["genuine"] is False and r.data["revoke_reason"] == "重复颁发"
    r = api.get("/verify/2026-0000-0000-0000-00000")
    assert r.status_code in (400, 404) and r.data["genuine"] is False
    assert api.get("/verify/not-a-number").status_code == 400


