"""The learning job step (idempotent), the learning routes through the API, and import
discipline."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from chalicelib.learning import jobs as learning_jobs
from tests.conftest import at
from tests.learning.conftest import LEARNING_CLOSES, LEARNING_OPEN, paid_api_trainee, run_to_end

ROOT = Path(__file__).resolve().parents[2]


def test_close_learning_records_once(deps: Any, clock: Any) -> None:
    assert run_to_end(learning_jobs.close_learning, deps, at("2026-06-12T23:59:59+08:00")) == \
        {"not_due": 1}
    assert run_to_end(learning_jobs.close_learning, deps, LEARNING_CLOSES) == \
        {"closed": 1, "already": 0}
    assert run_to_end(learning_jobs.close_learning, deps, LEARNING_CLOSES) == \
        {"closed": 0, "already": 1}


def test_learning_journey_through_the_api(api: Any, deps: Any, clock: Any) -> None:
    token, _reg = paid_api_trainee(api)
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
    assert r.status_code == 200 and r.data["format"] == "hls"
    assert r.data["url"] == f"/learning/courses/C01/playlist?session_id={r.data['session_id']}"
    assert r.data["expires_at"].endswith("+08:00")
    hb_token, session_id = r.data["token"], r.data["session_id"]
    clock.advance(seconds=30)
    r = api.post("/learning/courses/C01/heartbeat", token,
                 json={"position_s": 30.4, "token": hb_token, "session_id": session_id})
    assert r.status_code == 200 and r.data["credited_s"] == 30 and r.data["completed"] is False
    # a second tab opens its own session: the first one's reports answer 409 and pause it
    second = api.get("/learning/courses/C02/play", token)
    assert second.status_code == 200 and second.data["session_id"] != session_id
    clock.advance(seconds=30)
    r = api.post("/learning/courses/C01/heartbeat", token,
                 json={"position_s": 60, "token": r.data["token"], "session_id": session_id})
    assert r.status_code == 409 and r.data == {
        "Code": "SESSION_SUPERSEDED", "Message": "您已在其他窗口或设备开始播放，本窗口已暂停计时"}
    r = api.post("/learning/courses/C01/heartbeat", token, json={"position_s": 60})
    assert r.status_code == 409 and r.data["Code"] == "SESSION_SUPERSEDED"
    r = api.post("/learning/courses/C01/heartbeat", token, json={"position_s": -1})
    assert r.status_code == 400 and r.data["field"] == "position_s"
    r = api.post("/learning/courses/NOPE/heartbeat", token, json={"position_s": 1})
    assert r.status_code == 404
    r = api.get("/questionnaire", token)
    assert r.status_code == 200 and r.data["can_submit"] is False
    r = api.post("/questionnaire/responses", token, json={"answers": {"overall": 5}})
    assert r.status_code == 409 and r.data["Code"] == "WINDOW_NOT_OPEN"


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


def test_sample_videos_are_made_packaged_and_set_the_durations(
        deps: Any, clock: Any, enrolled: Any, monkeypatch: Any, tmp_path: Path) -> None:
    """`make run`'s step: clips generated with ffmpeg, packaged as encrypted HLS like an
    upload, and the edition's course durations set from the media (so a course can be
    finished by watching it); the play session's playlist then lists signed segments."""
    import requests

    from chalicelib.editions import service as editions
    from chalicelib.learning import service as learning
    from devtools import setup_sample_videos as videos
    monkeypatch.setattr(videos, "CACHE", tmp_path)
    monkeypatch.setattr(videos, "seconds_for", lambda i: 2 + i % 2)  # 2 s and 3 s: fast
    lines = videos.run(deps.settings)
    assert lines[0].startswith("Sample videos: 10 courses packaged as encrypted HLS (2-3 s each")
    edition = editions.get_current(deps)
    assert [c.duration_s for c in edition.courses] == [2, 3] * 5
    assert edition.required_seconds(edition.course("C03")) == 2  # ceil(2 x 0.9)
    assert len(list(tmp_path.glob("*.mp4"))) == 10  # generated once, kept for the next start
    link = learning.play(deps, enrolled.user_sub, "C03", clock.now())
    text = learning.playlist(deps, enrolled.user_sub, "C03", link["session_id"], clock.now())
    segment = next(line for line in text.splitlines() if line.startswith("http"))
    resp = requests.get(segment, timeout=10)
    assert resp.status_code == 200 and resp.content[:1] != b"\x47"  # encrypted
