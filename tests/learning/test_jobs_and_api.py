"""The learning job steps (idempotent), the routes through the API, and import discipline."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from chalicelib.editions import service as editions
from chalicelib.learning import jobs as learning_jobs
from tests.conftest import at
from tests.learning.conftest import CERT_CLOSES, CERT_OPENS, LEARNING_CLOSES, LEARNING_OPEN, answers_for, complete_courses, set_payment

ROOT = Path(__file__).resolve().parents[2]


def run_to_end(step: Any, deps: Any, now: Any) -> dict[str, int]:
    edition = editions.get_current(deps)
    total: dict[str, int] = {}
    cursor = None
    while True:
        counts, cursor = step(deps, edition, now, cursor, 5.0)
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
        if cursor is None:
            return total


def test_close_learning_records_once(deps: Any, clock: Any) -> None:
    assert run_to_end(learning_jobs.close_learning, deps, at("2026-06-12T23:59:59+08:00")) == \
        {"not_due": 1}
    assert run_to_end(learning_jobs.close_learning, deps, LEARNING_CLOSES) == \
        {"closed": 1, "already": 0}
    assert run_to_end(learning_jobs.close_learning, deps, LEARNING_CLOSES) == \
        {"closed": 0, "already": 1}


def test_open_certificates_mails_eligible_once(deps: Any, clock: Any, finished: Any) -> None:
    from chalicelib.platform.mail import outbox as mail
    first = run_to_end(learning_jobs.open_certificates, deps, CERT_OPENS)
    again = run_to_end(learning_jobs.open_certificates, deps, CERT_OPENS)
    assert first == {"mailed": 1, "skipped": 0} and again == {"mailed": 0, "skipped": 0}
    sent = [m for m in mail.list_mail(None) if m["template"] == "certificate.available"]
    assert len(sent) == 1 and "电子结业证书" in sent[0]["subject"]


def test_expire_certificates_marks_unused_once(deps: Any, clock: Any, finished: Any) -> None:
    from chalicelib.certificates import service as certificates
    assert run_to_end(learning_jobs.expire_certificates, deps, LEARNING_CLOSES) == {"not_due": 1}
    first = run_to_end(learning_jobs.expire_certificates, deps, CERT_CLOSES)
    again = run_to_end(learning_jobs.expire_certificates, deps, CERT_CLOSES)
    assert first == {"expired": 1, "already": 0} and again == {"expired": 0, "already": 1}
    assert certificates.mine(deps, finished.user_sub, CERT_CLOSES)["state"] == "expired"


def _paid_api_trainee(api: Any, name: str = "赵玥") -> tuple[str, str]:
    _email, token = api.signup(name=name)
    r = api.register(token)
    assert r.status_code == 201, r.body
    set_payment(r.data["registration_id"])
    return token, r.data["registration_id"]


def test_learning_journey_through_the_api(api: Any, deps: Any, clock: Any) -> None:
    token, _reg = _paid_api_trainee(api)
    r = api.get("/learning/courses", token)
    assert r.status_code == 200 and r.data["enrolled"] is False
    r = api.post("/learning/enroll", token)
    assert r.status_code == 409 and r.data["Code"] == "WINDOW_NOT_OPEN"
    clock.set(LEARNING_OPEN)
    r = api.get("/learning/courses/C01/play", token)
    assert r.status_code == 409 and r.data["Code"] == "NOT_ENROLLED"
    r = api.post("/learning/enroll", token)
    assert r.status_code == 200, r.body
    r = api.get("/learning/courses/C01/play", token)
    assert r.status_code == 200 and "response-content-disposition=inline" in r.data["url"]
    assert r.data["expires_at"].endswith("+08:00")
    hb_token = r.data["token"]
    clock.advance(seconds=30)
    r = api.post("/learning/courses/C01/heartbeat", token,
                 json={"position_s": 30.4, "token": hb_token})
    assert r.status_code == 200 and r.data["credited_s"] == 30 and r.data["completed"] is False
    r = api.post("/learning/courses/C01/heartbeat", token, json={"position_s": -1})
    assert r.status_code == 400 and r.data["field"] == "position_s"
    r = api.post("/learning/courses/NOPE/heartbeat", token, json={"position_s": 1})
    assert r.status_code == 404
    r = api.get("/questionnaire", token)
    assert r.status_code == 200 and r.data["can_submit"] is False
    r = api.post("/questionnaire/responses", token, json={"answers": {"overall": 5}})
    assert r.status_code == 409 and r.data["Code"] == "WINDOW_NOT_OPEN"


def test_questionnaire_certificate_and_verify_through_the_api(api: Any, deps: Any,
                                                              clock: Any) -> None:
    from tests.learning.conftest import Trainee
    token, reg_id = _paid_api_trainee(api, "孙堃")
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


def test_health_does_not_import_pdf_qr_or_xlsx(stack: Any) -> None:
    """Cold start of every other route: fpdf, segno, openpyxl and fontTools stay unloaded."""
    code = (
        "import sys, json\n"
        "from chalice.test import Client\n"
        "from app import app\n"
        "with Client(app, stage_name='test') as c:\n"
        "    r = c.http.get('/health')\n"
        "heavy = [m for m in ('fpdf', 'segno', 'openpyxl', 'fontTools') if m in sys.modules]\n"
        "print(json.dumps({'status': r.status_code, 'heavy': heavy, 'body': r.body.decode()[:300]}))\n")
    import os
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-2000:]
    import json
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 200 and result["heavy"] == [], out.stderr[-3000:]


def test_sample_videos_are_made_uploaded_and_playable(deps: Any, clock: Any, enrolled: Any,
                                                      monkeypatch: Any, tmp_path: Path) -> None:
    """`make run`'s step: clips generated with ffmpeg, uploaded under each course's key; the
    playback link then streams the video inline."""
    import requests

    from chalicelib.learning import service as learning
    from devtools import setup_sample_videos as videos
    monkeypatch.setattr(videos, "CACHE", tmp_path)
    monkeypatch.setattr(videos, "SECONDS", 1)
    courses = videos._courses()
    assert len(courses) == 10 and courses[2][0] == "2026/C03.mp4"
    monkeypatch.setattr(videos, "_courses", lambda: courses[1:3])  # two clips: fast enough
    lines = videos.run(deps.settings)
    assert lines[0].startswith("Sample videos: 2 uploaded")
    assert videos.run(deps.settings)[0].startswith("Sample videos: 0 uploaded")
    link = learning.play(deps, enrolled.user_sub, "C03", clock.now())
    resp = requests.get(link["url"], timeout=10)
    assert resp.status_code == 200 and resp.content[4:8] == b"ftyp"
    assert resp.headers["Content-Disposition"] == "inline"
    assert resp.headers["Content-Type"] == "video/mp4"
